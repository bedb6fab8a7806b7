"""The request edge: parameters cleaned, request sizes limited, path parts and ids in range."""

import time
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convene.inputs import ID_MAX, QUERY_VALUE_MAX, clamp_page, clean, multi_line, single_line

CONTROL_CATEGORIES = {"Cc", "Cs"}


def _controls(text: str, keep: str = "") -> set[str]:
    return {c for c in text if unicodedata.category(c) in CONTROL_CATEGORIES and c not in keep}


@given(st.text())
def test_clean_removes_every_control_but_line_breaks_and_tabs(text):
    cleaned = clean(text)
    assert not _controls(cleaned, keep="\t\n\r\x85")
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean(cleaned) == cleaned


@given(st.text())
def test_single_line_is_one_trimmed_line(text):
    line = single_line(text)
    assert not _controls(line)
    assert not {"\u2028", "\u2029"} & set(line)
    assert line == line.strip()
    assert single_line(line) == line


@given(st.text())
def test_multi_line_keeps_only_lf_breaks(text):
    lines = multi_line(text)
    assert not _controls(lines, keep="\t\n")
    assert "\r" not in lines and "\u2028" not in lines
    assert multi_line(lines) == lines


def test_examples():
    assert single_line("  Open\r\ndata\tday\x00 ") == "Open data day"
    assert multi_line("one\r\ntwo\rthree\u2028four") == "one\ntwo\nthree\nfour"
    assert clean("Zoe\u0308") == "Zoë"


def test_clamp_page():
    assert [clamp_page(v) for v in (None, -5, 0, 3, 10**20)] == [1, 1, 1, 3, 10_000]


def test_a_huge_sign_in_gets_413_quickly_and_in_the_sites_layout(client):
    started = time.monotonic()
    response = client.post("/sign-in", data={"email": "a" * 25_000_000, "password": "x"})
    assert response.status_code == 413
    assert time.monotonic() - started < 2
    page = response.get_data(as_text=True)
    assert "too much to send" in page and "<nav" in page


def test_multipart_forms_have_part_and_memory_limits(client):
    """Werkzeug applies these to multipart bodies; a URL-encoded one has only the size limit."""
    many = {f"f{i}": "x" for i in range(1_500)}
    big = {"email": "x" * 600_000}
    for data in (many, big):
        response = client.post("/sign-in", data=data, content_type="multipart/form-data")
        assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        f"/calls/{ID_MAX + 1}",
        "/calls/99999999999999999999",
        "/calls/" + "9" * 5000,
        "/summit/a%00b",
        "/organisations/x%0d%0ay/people",
        "/summit/" + "s" * 201,
    ],
)
def test_path_parts_out_of_range_are_404(client_for, make_member, path):
    assert client_for(make_member("admin")).get(path).status_code == 404


def test_query_parameters_are_cleaned_and_cut(app):
    with app.test_request_context(f"/?q=a%00b%0d%0a&q=Zoe%CC%88&long={'x' * 2000}&org=10000000000"):
        from flask import request

        assert request.args.getlist("q") == ["ab\r\n", "Zoë"]
        assert len(request.args["long"]) == QUERY_VALUE_MAX
        assert request.args.get("org", type=int) is None
        assert request.args.get("org", 7, type=int) == 7


def test_form_parameters_lose_nul_on_every_backend(client_for, make_member):
    """PostgreSQL refuses NUL in text: a search with one is a search, not a 500."""
    admin = make_member("admin")
    client = client_for(admin)
    assert client.get("/admin/members?q=per%00son").status_code == 200
    assert client.get("/calls/archive?q=a%00b&page=99999999999").status_code == 200
    assert client.get("/topics?q=%00").status_code == 200


def test_a_members_page_sends_visitors_to_sign_in_and_back(client):
    response = client.get("/topics?q=open%20data")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/topics?q%3Dopen%2520data"
    huge = client.get("/topics?q=" + "x" * 5000)
    assert huge.headers["Location"] == "/sign-in?next=/topics"
