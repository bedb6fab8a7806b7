"""Helpers of the applying tests: real PDFs made with pypdf, and the applicant's steps."""

import io
import re

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

STEP_ONE = {
    "email": "Clerk@Mesa.example.gov",
    "contact_name": "Dana Clerk",
    "city_name": "Mesa",
    "state": "AZ",
    "population": "504258",
}

DRAFT_TEXT = {
    "contact_name": "Dana Clerk",
    "city_name": "Mesa",
    "state": "AZ",
    "population": "504258",
    "champion_name": "Alex Champion",
    "champion_title": "Chief Data Officer",
    "champion_email": "Alex@Mesa.example.gov",
    "champion_seniority": "executive",
    "data_history": "An open data portal since 2014; a 311 dashboard.",
    "resources": "Two analysts half time; a training budget.",
    "help_wanted": "A performance programme with the council.",
}


def use_letters_folder(app, tmp_path):
    """Letters go to the test's own folder (an autouse fixture of each test file calls it)."""
    folder = tmp_path / "letters"
    app.config["APPLICATION_UPLOADS"] = str(folder)
    return folder


def pdf_bytes(
    pages: int = 1, *, javascript: bool = False, password: str | None = None, subject: str = ""
) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    if javascript:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hello');"),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    writer.add_metadata({"/Title": "Letter of commitment", "/Subject": subject})
    if password is not None:
        writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def token_of(location: str, kind: str) -> str:
    match = re.search(rf"/apply/{kind}/([^/?#]+)", location)
    assert match, location
    return match.group(1)


def start(client, address: str = "10.0.0.1", **changes):
    return client.post("/apply", data=STEP_ONE | changes, environ_base={"REMOTE_ADDR": address})


def start_draft(client, **changes) -> str:
    response = start(client, **changes)
    assert response.status_code == 302, response.get_data(as_text=True)
    return token_of(response.headers["Location"], "draft")


def draft_form(areas=(), letter: bytes | None = None, filename: str = "letter.pdf", **changes):
    data = DRAFT_TEXT | changes
    data = {k: v for k, v in data.items() if v is not None}
    form = dict(data)
    if areas:
        form["areas"] = [str(area.id) for area in areas]
    if letter is not None:
        form["letter"] = (io.BytesIO(letter), filename)
    return form


def post_draft(client, token: str, button: str = "save", address: str = "10.0.0.1", **form):
    data = draft_form(**form)
    data[button] = "1"
    return client.post(
        f"/apply/draft/{token}",
        data=data,
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": address},
    )
