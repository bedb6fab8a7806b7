"""What Convene accepts from a request: text cleaned once, at the edge, for every view.

Every query and form parameter loses NUL and the other control characters (PostgreSQL
refuses NUL in text; mail headers and calendar lines break on CR/LF) and is put in Unicode
NFC, so that "Zoë" typed on two keyboards is one name. Line breaks and tabs survive this
layer; the form layer (`convene.forms`) folds them into spaces in single-line fields. URL
parts are held to the same rules by the converters below, and ids beyond the database's
integer range are simply not found.
"""

import re
import unicodedata

from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import BaseConverter, IntegerConverter
from werkzeug.utils import cached_property

# C0 and C1 controls except tab, LF and CR; lone surrogates; the two non-characters.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
# Everything that ends a line somewhere: CR, LF, NEL, LS, PS, plus vertical tab and form feed.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")  # every kind of white space, line breaks included

# A query parameter longer than this is cut: nothing Convene looks up by is longer, and
# pages that echo a search back never echo a huge one.
QUERY_VALUE_MAX = 500
# The largest id a PostgreSQL integer column can hold.
ID_MAX = 2**31 - 1


def clean(value: str) -> str:
    """Control characters removed, NFC; line breaks and tabs kept for the form layer."""
    return unicodedata.normalize("NFC", _CONTROLS.sub("", value))


def single_line(value: str | None) -> str:
    """Text for a title, a name or a mail header: one trimmed line, single spaces."""
    return _SPACES.sub(" ", clean(value or "")).strip()


def multi_line(value: str | None) -> str:
    """Text for an agenda or notes: every kind of line break becomes LF."""
    return _LINE_BREAKS.sub("\n", clean(value or "")).strip("\n")


class Parameters(ImmutableMultiDict):
    """Request parameters whose `get(..., type=int)` gives only ids a database can hold."""

    def get(self, key, default=None, type=None):
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and not -ID_MAX - 1 <= value <= ID_MAX:
            return default
        return value


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis showing where it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cleaned(parameters, limit: int | None = None) -> Parameters:
    items = []
    for key, values in parameters.lists():
        for value in values:
            if isinstance(value, str):
                value = clean(value[:limit] if limit else value)
            items.append((clean(key), value))
    return Parameters(items)


class Request(FlaskRequest):
    """Flask's request with every query and form parameter cleaned."""

    @cached_property
    def args(self) -> Parameters:
        return _cleaned(super().args, QUERY_VALUE_MAX)

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        super()._load_form_data()
        self.__dict__["form"] = _cleaned(self.__dict__["form"])


class PathPartConverter(BaseConverter):
    """A path segment such as a slug or token: printable, at most 200 characters."""

    regex = r"[^/\x00-\x1f\x7f]{1,200}"


class IdConverter(IntegerConverter):
    """An id: beyond what the database can store it matches nothing, so the answer is 404."""

    regex = r"\d{1,18}"  # more digits than this cannot be an id (nor slow int() down)

    def __init__(self, map, **kwargs):
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, **kwargs)


def install(app) -> None:
    """Before any blueprint is registered: the rules above apply to every route."""
    app.request_class = Request
    app.url_map.converters.update(
        default=PathPartConverter, string=PathPartConverter, int=IdConverter
    )


def clamp_page(value: int | None, last: int = 10_000) -> int:
    """A page number from a query string, kept where OFFSET cannot overflow."""
    return min(max(value or 1, 1), last)
