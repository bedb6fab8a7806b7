"""The mayor's letter: real files, checked by their content; stored under a random name
outside the static folder; replaced and deleted with the transaction."""

import hashlib
import io
import os

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from convene.applications.models import Application
from convene.applications.uploads import (
    LetterError,
    check_letter,
    delete_letter,
    letter_label,
    open_letter,
    store_letter,
)
from convene.extensions import db
from tests.applications.applying import pdf_bytes, post_draft, start_draft, use_letters_folder

MAX = 5 * 1024 * 1024


@pytest.fixture(autouse=True)
def letters(app, tmp_path):
    return use_letters_folder(app, tmp_path)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def refusal(data: bytes, max_bytes: int = MAX) -> str:
    with pytest.raises(LetterError) as refused:
        check_letter(data, max_bytes)
    return str(refused.value)


def test_a_real_pdf_is_accepted():
    data = pdf_bytes(pages=2)
    assert len(PdfReader(io.BytesIO(data)).pages) == 2  # the test's own PDF is real
    check_letter(data, MAX)


def test_refused_files_say_why():
    assert "empty" in refusal(b"")
    assert "larger than 1 KB" not in refusal(pdf_bytes(), max_bytes=100)  # sizes read as MB
    assert "larger than" in refusal(pdf_bytes(), max_bytes=100)
    assert "not a PDF" in refusal(b"<!doctype html><html><script>alert(1)</script></html>")
    assert "not a PDF" in refusal(PNG)
    assert "not a PDF" in refusal(b"  %PDF-1.7 a PDF header that is not at the start")
    assert "password" in refusal(pdf_bytes(password="secret"))
    assert "scripts or actions" in refusal(pdf_bytes(javascript=True))


def test_truncated_pdfs_are_refused():
    data = pdf_bytes(pages=3)
    assert "incomplete" in refusal(data[: len(data) // 2])
    assert "cannot be read" in refusal(data[: len(data) // 2] + b"\n%%EOF\n")


def handmade_pdf(*objects: bytes) -> bytes:
    """A PDF written byte by byte, its cross-reference table pointing at each object."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


PAGES = (
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R] >>",
)


def test_a_handmade_pdf_without_actions_is_accepted():
    check_letter(
        handmade_pdf(
            b"<< /Type /Catalog /Pages 2 0 R >>",
            *PAGES,
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10]"
            b" /A << /S /URI /URI (https://city.example.gov) >> >>",
        ),
        MAX,
    )


def test_a_script_spelled_with_escapes_is_found():
    """#61 is "a": the bytes never say /JavaScript, the parsed names do."""
    data = handmade_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        *PAGES,
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10]"
        b" /A << /S /J#61vaScript /J#53 (app.alert(1)) >> >>",
    )
    assert b"/JavaScript" not in data and b"/JS" not in data
    assert "scripts or actions" in refusal(data)


def test_a_launch_action_is_found():
    data = handmade_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /L#61unch /F (calc.exe) >> >>",
        *PAGES[:1],
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    )
    assert b"/Launch" not in data
    assert "scripts or actions" in refusal(data)


def test_the_label_keeps_no_folders_or_controls():
    assert letter_label("../../etc/passwd") == "passwd"
    assert letter_label("..\\..\\Windows\\lettre signée.pdf") == "lettre signée.pdf"
    assert letter_label("Brief\u0000\nvom\tBürgermeister.pdf") == "Brief vom Bürgermeister.pdf"
    assert letter_label(".hidden.pdf") == "hidden.pdf"
    assert letter_label("") == letter_label(None) == letter_label("../") == "letter.pdf"
    assert len(letter_label("x" * 500 + ".pdf")) == 200


def test_stored_under_a_random_name_outside_static(app, client, letters):
    token = start_draft(client)
    data = pdf_bytes()
    response = post_draft(client, token, letter=data, filename="../../static/市長の手紙.pdf")
    assert response.status_code == 302
    application = db.session.scalar(sa.select(Application))
    assert application.letter_filename == "市長の手紙.pdf"
    assert application.letter_bytes == len(data)
    assert application.letter_sha256 == hashlib.sha256(data).hexdigest()
    assert application.letter_file.endswith(".pdf") and len(application.letter_file) == 36
    assert os.listdir(letters) == [application.letter_file]
    static = os.path.join(os.path.dirname(app.root_path), "static")
    assert os.path.commonpath([static, str(letters)]) != static
    with open_letter(application) as letter:
        assert letter.read() == data


def test_a_refused_file_changes_nothing(client, letters):
    token = start_draft(client)
    before = db.session.scalar(sa.select(Application.updated_at))
    for data, name in [
        (b"<html>hello</html>", "letter.pdf"),
        (PNG, "letter.pdf"),
        (b"", "letter.pdf"),
        (pdf_bytes(javascript=True), "letter.pdf"),
        (pdf_bytes(password="x"), "letter.pdf"),
    ]:
        response = post_draft(client, token, letter=data, filename=name, champion_name="New")
        assert response.status_code == 400
        assert b"Nothing was saved" in response.data
        db.session.expire_all()
        application = db.session.scalar(sa.select(Application))
        assert application.letter_file is None and application.champion_name is None
        assert application.updated_at == before
    assert not letters.exists() or os.listdir(letters) == []


def test_an_oversized_letter_is_refused_in_words(app, client):
    token = start_draft(client)
    data = pdf_bytes(pages=40)
    app.config["APPLICATION_LETTER_MAX_BYTES"] = len(data) - 1
    response = post_draft(client, token, letter=data)
    assert response.status_code == 400 and b"The letter is larger than" in response.data
    # A request far larger than any letter is refused unread.
    app.config["APPLICATION_LETTER_MAX_BYTES"] = 1_000
    response = post_draft(client, token, letter=b"%PDF-" + b"0" * 700_000)
    assert response.status_code == 413
    assert db.session.scalar(sa.select(Application.letter_file)) is None


def test_a_letter_larger_than_any_other_request_is_taken(app, client):
    """Other forms' requests stop at MAX_CONTENT_LENGTH (2 MB); a draft's go to its letter's."""
    token = start_draft(client)
    data = pdf_bytes(subject="x" * 3_000_000)
    assert app.config["MAX_CONTENT_LENGTH"] < len(data) < app.config["APPLICATION_LETTER_MAX_BYTES"]
    assert post_draft(client, token, letter=data).status_code == 302
    assert db.session.scalar(sa.select(Application.letter_bytes)) == len(data)


def test_a_new_letter_replaces_the_old_file_on_commit(app, client, letters):
    token = start_draft(client)
    post_draft(client, token, letter=pdf_bytes(pages=1))
    first = db.session.scalar(sa.select(Application.letter_file))
    post_draft(client, token, letter=pdf_bytes(pages=2))
    db.session.expire_all()
    second = db.session.scalar(sa.select(Application.letter_file))
    assert first != second and os.listdir(letters) == [second]
    # Saving without a file keeps the letter.
    post_draft(client, token, champion_name="Someone else")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Application.letter_file)) == second


def test_files_follow_the_transaction(app, client, letters):
    token = start_draft(client)
    post_draft(client, token, letter=pdf_bytes())
    application = db.session.scalar(sa.select(Application))
    kept = application.letter_file
    # A replacement rolled back: the new file goes, the old one stays.
    store_letter(db.session(), application, pdf_bytes(pages=2), "new.pdf")
    assert len(os.listdir(letters)) == 2
    db.session.rollback()
    assert os.listdir(letters) == [kept]
    # A deletion takes the file only once committed.
    application = db.session.scalar(sa.select(Application))
    delete_letter(db.session(), application)
    assert os.listdir(letters) == [kept]
    db.session.commit()
    assert os.listdir(letters) == [] and open_letter(application) is None


def test_open_letter_reads_only_names_it_made(app, client, letters):
    token = start_draft(client)
    post_draft(client, token, letter=pdf_bytes())
    application = db.session.scalar(sa.select(Application))
    for tampered in ("../../../etc/passwd", "x.pdf", None, application.letter_file + "/"):
        application.letter_file = tampered
        assert open_letter(application) is None
    db.session.rollback()
