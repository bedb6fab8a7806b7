"""Text as feeds, downloads and invitations write it, whatever was stored.

RFC 5545 text may hold no control characters but tab, and a line break that is not
escaped ends the property. Parsers also differ on the rarer line ends (NEL, U+2028...),
so every kind of line break becomes LF before icalendar escapes it, and single-line
values (a title, a name, a place) have theirs folded into spaces. icalendar writes a
backslash followed by N as a line break (RFC 5545's escape for one), so it is one here too.
"""

import re
import unicodedata

# C0 and C1 controls except tab, LF and CR; lone surrogates; the two non-characters; the
# byte order mark (icalendar drops it when it reads a file, so it cannot round-trip).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff\ufeff]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[ \t]+\n")
_URI_JUNK = re.compile(r"[\s\"<>\\^`{|}]")

# A title longer than this says nothing more in a calendar (and mail subjects cut earlier).
SINGLE_LINE_MAX = 1000


def _clean(value) -> str:
    text = unicodedata.normalize("NFC", _CONTROLS.sub("", str(value or "")))
    return text.replace("\\N", "\n")


def single_line(value, limit: int = SINGLE_LINE_MAX) -> str:
    """One line: every run of white space (line breaks included) becomes one space."""
    text = _SPACES.sub(" ", _clean(value)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def multi_line(value) -> str:
    """Lines joined by LF, tabs as spaces, no trailing blanks on a line or at the ends."""
    text = _LINE_BREAKS.sub("\n", _clean(value)).replace("\t", " ")
    return _TRAILING.sub("\n", text).strip()


def uri(value) -> str | None:
    """A URI or mail address as one token, or None when nothing usable is left."""
    text = _URI_JUNK.sub("", _clean(value))
    return text or None
