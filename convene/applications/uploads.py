"""The mayor's letter of an application: checked, stored, read back, deleted.

A letter is a PDF of at most APPLICATION_LETTER_MAX_BYTES. What it is comes from its
content, never from its name or the browser's word: it starts with "%PDF-", ends with an
end-of-file marker, and parses; a PDF that is encrypted (reviewers could not read it) or
that carries JavaScript or a launch action (a reviewer's viewer would run it) is refused.

It is stored outside the static folder, in APPLICATION_UPLOADS, under a random name; the
name it was uploaded with is kept only as a label, cleaned. Files follow the transaction:
a replaced or deleted letter's file goes only when the change commits, and a new file is
removed again if the change rolls back.
"""

import hashlib
import io
import logging
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import BinaryIO

import pypdf
from flask import current_app
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
from sqlalchemy import event
from sqlalchemy.orm import Session

from convene.applications.models import Application
from convene.inputs import shorten, single_line

log = logging.getLogger(__name__)

LABEL_MAX = 200  # the letter_filename column
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.pdf")
# Names that make a PDF run something when it is opened or clicked.
_ACTION_KEYS = {"/JS", "/JavaScript"}
_ACTION_TYPES = {"/JavaScript", "/Launch"}
_RAW_MARKERS = (b"/JavaScript", b"/Launch")
OBJECTS_MAX = 200_000  # more than a letter of a few pages ever holds
EOF_WINDOW = 1024  # readers look for %%EOF within the last kilobyte


class LetterError(ValueError):
    """Why an uploaded file is not accepted as the mayor's letter, in the applicant's words."""


def letter_max_bytes() -> int:
    return current_app.config["APPLICATION_LETTER_MAX_BYTES"]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def check_letter(data: bytes, max_bytes: int) -> None:
    """Raise LetterError unless `data` is a PDF a reviewer can safely open."""
    if not data:
        raise LetterError("The file is empty. Upload the letter as a PDF.")
    if len(data) > max_bytes:
        raise LetterError(
            f"The letter is larger than {_megabytes(max_bytes)}: upload a smaller PDF."
        )
    if not data.startswith(b"%PDF-"):
        raise LetterError("That file is not a PDF. Upload the letter as a PDF.")
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise LetterError("That PDF is incomplete (its end is missing). Upload it again.")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LetterError(
                "That PDF is protected by a password or encrypted: upload one without protection."
            )
        if len(reader.pages) < 1:
            raise LetterError("That PDF has no pages.")
        runs_something = _runs_something(reader)
    except LetterError:
        raise
    except Exception as exc:  # a damaged file can fail in any of pypdf's parsers
        log.info("letter refused: %s", exc)
        raise LetterError(
            "That PDF cannot be read. Save it again as a PDF and upload it."
        ) from None
    if runs_something or any(marker in data for marker in _RAW_MARKERS):
        raise LetterError(
            "That PDF contains scripts or actions. Save or print it again as a plain PDF."
        )


def _runs_something(reader: pypdf.PdfReader) -> bool:
    """Whether any object reachable from the trailer is a JavaScript or launch action."""
    stack: list = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > OBJECTS_MAX:
            raise LetterError("That PDF is too complex to check. Save it again as a simple PDF.")
        if isinstance(item, DictionaryObject):
            if _ACTION_KEYS & set(item.keys()):
                return True
            kind = item.get("/S")
            if isinstance(kind, NameObject) and kind in _ACTION_TYPES:
                return True
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return False


def letter_label(filename: str | None) -> str:
    """The uploaded file's name as a label: no folders, controls or line breaks."""
    name = unicodedata.normalize("NFC", filename or "")
    name = single_line(re.split(r"[/\\]", name)[-1]).lstrip(".").strip()
    return shorten(name, LABEL_MAX) or "letter.pdf"


def uploads_folder() -> Path:
    return Path(current_app.config["APPLICATION_UPLOADS"])


def _path(stored_name: str | None) -> Path | None:
    """The file of a stored name; None for anything that is not a name this module made."""
    if not stored_name or not _STORED_NAME.fullmatch(stored_name):
        return None
    return uploads_folder() / stored_name


def read_upload(stream: BinaryIO, max_bytes: int) -> bytes:
    """At most one byte more than allowed, so a huge file is never read whole."""
    return stream.read(max_bytes + 1)


def store_letter(session: Session, application: Application, data: bytes, filename: str) -> None:
    """Check and keep `data` as the application's letter, replacing any earlier one.

    LetterError (nothing written, nothing changed) if it is not an acceptable PDF.
    """
    check_letter(data, letter_max_bytes())
    folder = uploads_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored_name = secrets.token_hex(16) + ".pdf"
    path = folder / stored_name
    partial = folder / (stored_name + ".part")
    with open(partial, "wb") as out:
        out.write(data)
    os.replace(partial, path)
    _on_rollback(session, path)
    _on_commit(session, _path(application.letter_file))
    application.letter_file = stored_name
    application.letter_filename = letter_label(filename)
    application.letter_bytes = len(data)
    application.letter_sha256 = hashlib.sha256(data).hexdigest()


def delete_letter(session: Session, application: Application) -> None:
    """The application has no letter any more; its file goes when the change commits."""
    _on_commit(session, _path(application.letter_file))
    application.letter_file = None
    application.letter_filename = None
    application.letter_bytes = None
    application.letter_sha256 = None


def open_letter(application: Application) -> BinaryIO | None:
    """The stored letter, open for reading (the caller closes it), or None if it has none
    or its file is gone. For reviewers' download: serve it as an attachment."""
    path = _path(application.letter_file)
    if path is None:
        return None
    try:
        return open(path, "rb")
    except OSError:
        log.warning("the letter of application %s is missing: %s", application.id, path)
        return None


# --- files follow the transaction ----------------------------------------------------------

_DELETE_ON_COMMIT = "applications.letters_to_delete_on_commit"
_DELETE_ON_ROLLBACK = "applications.letters_to_delete_on_rollback"


def _on_commit(session: Session, path: Path | None) -> None:
    if path is not None:
        session.info.setdefault(_DELETE_ON_COMMIT, []).append(path)


def _on_rollback(session: Session, path: Path) -> None:
    session.info.setdefault(_DELETE_ON_ROLLBACK, []).append(path)


def _remove(paths) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove the letter file %s", path)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_DELETE_ON_ROLLBACK, None)
    _remove(session.info.pop(_DELETE_ON_COMMIT, ()))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    session.info.pop(_DELETE_ON_COMMIT, None)
    _remove(session.info.pop(_DELETE_ON_ROLLBACK, ()))
