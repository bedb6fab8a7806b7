"""Where a `next` parameter may send someone: a path on this site, nowhere else.

Browsers forgive a lot in a Location header (a backslash for a slash, tabs and line breaks
dropped, `//host` as another site), so a target is accepted only when it is plainly a path:
parsed, not prefix-matched, and checked both as sent and percent-decoded.
"""

import unicodedata
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000

# Unicode categories no path of ours holds: controls, format characters, separators (spaces,
# line and paragraph separators), unassigned and private-use code points.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


def safe_next(target: str | None, fallback: str) -> str:
    """`target` if it is a path on this site, else `fallback`."""
    return target if is_local_path(target) else fallback


def is_local_path(target: str | None) -> bool:
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return False
    decoded = unquote(target)
    if not all(_plain_path(form) for form in (target, decoded)):
        return False
    if not _clean(target):
        return False
    # A decoded query may hold spaces (a search for "new york" is sent as %20); nothing else.
    path, _, query = decoded.partition("?")
    return _clean(path) and _clean(query.replace(" ", ""))


def _plain_path(value: str) -> bool:
    """Starts with one slash, has no scheme, host, backslash or dot segment."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if parts.scheme or parts.netloc:
        return False
    return not any(segment in {".", ".."} for segment in parts.path.split("/"))


def _clean(value: str) -> bool:
    return not any(ch.isspace() or unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value)
