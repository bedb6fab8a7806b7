"""Text as feeds, downloads and invitations write it, whatever was stored.

RFC 5545 text may hold no control characters but tab, and a line break that is not
escaped ends the property. Parsers also differ on the rarer line ends (NEL, U+2028...),
so every kind of line break becomes LF before icalendar escapes it, and single-line
values (a title, a name, a place) have theirs folded into spaces. icalendar writes a
backslash followed by N as a line break (RFC 5545's escape for one), so it is one here too.
"""

import re

from convene.inputs import clean, shorten
from convene.inputs import multi_line as _multi_line
from convene.inputs import single_line as _single_line

_URI_JUNK = re.compile(r"[\s\"<>\\^`{|}]")

# A title longer than this says nothing more in a calendar (and mail subjects cut earlier).
SINGLE_LINE_MAX = 1000


def _clean(value) -> str:
    """What every request gets (`convene.inputs.clean`), for values stored before it did;
    minus the byte order mark, which icalendar drops when it reads a file."""
    return clean(str(value or "")).replace("\ufeff", "").replace("\\N", "\n")


def single_line(value, limit: int = SINGLE_LINE_MAX) -> str:
    """One line: line breaks and tabs become spaces."""
    return shorten(_single_line(_clean(value)), limit)


def multi_line(value) -> str:
    """Lines joined by LF, tabs as spaces, no trailing blanks on a line or at the ends."""
    lines = _multi_line(_clean(value)).replace("\t", " ").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def uri(value) -> str | None:
    """A URI or mail address as one token, or None when nothing usable is left."""
    text = _URI_JUNK.sub("", _clean(value))
    return text or None
