"""A draft submitted from two tabs at the same moment is submitted once: one status link,
one recorded submission, one confirmation (the application's row lock orders them)."""

import time

import pytest
import sqlalchemy as sa

from convene.applications import intake
from convene.applications.models import Application, ApplicationLink, LinkPurpose
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications.models import OutboxMessage
from tests.applications.applying import (
    draft_form,
    pdf_bytes,
    post_draft,
    start_draft,
    use_letters_folder,
)
from tests.summit.http_races import race_requests, racing_apps, status_codes

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def slow_record(monkeypatch):
    """The submission holds the lock a little longer, so the racers surely meet at it."""
    real = intake.record_action

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(intake, "record_action", slow)


def test_two_submissions_at_once_make_one(
    app, client, make_app, practice_area, tmp_path, slow_record
):
    folder = use_letters_folder(app, tmp_path)
    token = start_draft(client)
    areas = [practice_area("Open data")]
    assert post_draft(client, token, areas=areas, letter=pdf_bytes()).status_code == 302
    apps = racing_apps(make_app, 2)
    for racer in apps:
        racer.config["APPLICATION_UPLOADS"] = str(folder)
    form = draft_form(areas=areas) | {"submit": "1"}
    url = f"/apply/draft/{token}"
    answers = race_requests(apps, [(None, "POST", url, form), (None, "POST", url, form)])
    codes = sorted(status_codes(answers), key=str)
    # One submits (302 to its status page); the other finds the draft gone or submitted.
    assert codes[0] == 302 and codes[1] in (400, 404), codes
    db.session.expire_all()
    (application,) = db.session.scalars(sa.select(Application))
    assert application.status == "submitted"
    status_links = db.session.scalar(
        sa.select(sa.func.count(ApplicationLink.id)).where(
            ApplicationLink.purpose == LinkPurpose.STATUS
        )
    )
    assert status_links == 1
    kinds = list(db.session.scalars(sa.select(Action.kind)))
    assert kinds == [ActionKind.APPLICATION_SUBMITTED]
    confirmations = db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.recipient == application.email,
            OutboxMessage.subject.contains(application.reference),
        )
    )
    assert confirmations == 1
