"""The one CSV writer: formulas defused in every cell, a UTF-8 BOM, a download response."""

import csv
import io

import pytest

from convene.csvfiles import BOM, csv_bytes, csv_response, safe_cell


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x.example","x")', '\'=HYPERLINK("http://x.example","x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("=ada@example.org", "'=ada@example.org"),  # an email address is a cell like any other
        ("@ada.example.org", "'@ada.example.org"),
        (-2, "'-2"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("ada@example.org", "ada@example.org"),
        ("1+1", "1+1"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_a_cell_that_would_run_as_a_formula_gets_an_apostrophe(value, expected):
    assert safe_cell(value) == expected


def read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_every_cell_of_the_file_is_defused_and_zoe_survives():
    data = csv_bytes(
        ["name", "email", "=header"],
        [
            ['=HYPERLINK("x")', "@evil.example.org", "+1"],
            ["Zoë", "-2@example.org", "@SUM(1)"],
            ["Ada", None, 42],
        ],
    )
    assert read(data) == [
        ["name", "email", "'=header"],
        ['\'=HYPERLINK("x")', "'@evil.example.org", "'+1"],
        ["Zoë", "'-2@example.org", "'@SUM(1)"],
        ["Ada", "", "42"],
    ]
    assert "Zoë".encode() in data
    assert data.decode("utf-8").startswith(BOM + "name,")


def test_a_cell_with_a_line_break_or_quote_stays_one_cell():
    rows = read(csv_bytes(["note"], [['Line one\nline "two"']]))
    assert rows == [["note"], ['Line one\nline "two"']]


def test_the_response_is_a_named_utf8_download(app):
    response = csv_response("summit-1 registrations/../x.csv", ["name"], [["Zoë"]])
    assert response.content_type == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="summit-1_registrations_.._x.csv"'  # no path
    assert read(response.get_data()) == [["name"], ["Zoë"]]
