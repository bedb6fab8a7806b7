"""CSV files people open in a spreadsheet: every export goes through here.

Two things spreadsheets get wrong with a plain CSV:

- a cell starting with = + - @ (or a tab or carriage return before one) runs as a formula,
  so text a member typed (a name, an email address, dietary needs) could run in the
  admin's spreadsheet; such a cell gets a leading apostrophe, which shows it as text;
- without a byte-order mark Excel reads the file as Windows-1252 and shows "ZoÃ«" for
  "Zoë"; the file starts with a UTF-8 BOM.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response
from werkzeug.utils import secure_filename

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value) -> str:
    """A cell's text, with a leading apostrophe if a spreadsheet would read it as a formula.

    Every cell, not only free text: an email address may start with = or @, and a negative
    number is defused too (it is still readable, and the rule stays simple to trust).
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    """The whole file as text, BOM first, every cell defused, lines ending in CRLF."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()


def csv_bytes(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    return csv_text(header, rows).encode("utf-8")


def csv_response(filename: str, header: Sequence, rows: Iterable[Sequence]) -> Response:
    """A download named `filename` (reduced to safe characters)."""
    name = secure_filename(filename) or "export.csv"
    return Response(
        csv_bytes(header, rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
