"""The deciding pages: only admins decide; bad input changes nothing; the dashboard's
figures and its constant number of queries."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from convene.applications import dashboard, decisions, letters
from convene.applications.models import (
    ApplicationStatus,
    Decision,
    DecisionLetter,
    LetterTemplate,
    Outcome,
)
from convene.extensions import db


@pytest.fixture
def admin(make_member):
    return make_member("admin")


@pytest.mark.parametrize("role", ["member", "champion", "host"])
def test_only_admins_decide(role, make_member, make_application, client_for):
    application = make_application()
    client = client_for(make_member(role))
    assert client.get("/applications/decisions").status_code == 403
    answer = client.post(f"/applications/{application.id}/decision", data={"outcome": "accept"})
    assert answer.status_code == 403
    assert client.get("/applications/dashboard").status_code == 403
    assert db.session.scalar(select(func.count(Decision.id))) == 0


def test_a_visitor_is_sent_to_sign_in(client):
    answer = client.get("/applications/letters")
    assert answer.status_code == 302 and "sign-in" in answer.headers["Location"]


def test_an_admin_decides_then_sends(admin, make_application, client_for):
    application = make_application(city="Akron", state="OH")
    client = client_for(admin)
    answer = client.post(f"/applications/{application.id}/decision", data={"outcome": "decline"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#decision")
    page = client.get("/applications/decisions").get_data(as_text=True)
    assert "Akron, OH" in page and "Decline" in page
    decision = db.session.scalar(select(Decision))
    answer = client.post("/applications/decisions/send", data={"decision": [str(decision.id)]})
    assert answer.status_code == 302
    page = client.get("/applications/decisions").get_data(as_text=True)
    assert "Letter sent to Akron, OH" in page and "No decision is waiting" in page
    db.session.expire_all()
    assert db.session.get(type(application), application.id).status == ApplicationStatus.DECIDED


def test_a_wrong_outcome_changes_nothing(admin, make_application, client_for):
    application = make_application()
    client = client_for(admin)
    answer = client.post(f"/applications/{application.id}/decision", data={"outcome": "maybe"})
    assert answer.status_code == 302
    assert db.session.scalar(select(func.count(Decision.id))) == 0
    for bad in ("x", "100000000000000000000"):  # not an id; an id no database holds
        answer = client.post(
            "/applications/decisions/send", data={"decision": [bad]}, follow_redirects=True
        )
        assert "nothing was sent" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Decision.id))) == 0
    assert client.post("/applications/letters/yes", data={}).status_code == 404


def test_a_decided_acceptance_shows_on_the_page_and_refuses_another(
    admin, make_application, client_for
):
    application = make_application(city="Mesa", state="AZ")
    decisions.decide(application, Outcome.ACCEPT, admin)
    db.session.commit()
    decisions.send_pending(admin)
    client = client_for(admin)
    client.post(f"/applications/{application.id}/decision", data={"outcome": "decline"})
    page = client.get("/applications/decisions").get_data(as_text=True)
    assert "A letter accepting Mesa, AZ was sent on" in page
    assert db.session.scalar(select(func.count(DecisionLetter.id))) == 1


def test_a_template_with_an_unknown_placeholder_is_refused(admin, client_for):
    client = client_for(admin)
    was = letters.template_for(Outcome.ACCEPT).body
    db.session.commit()
    answer = client.post(
        "/applications/letters/accept",
        data={"subject": "Welcome {city}", "body": "Dear {mayor}", "save": "Save"},
    )
    assert answer.status_code == 422
    assert "{mayor} is not a placeholder" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert letters.template_for(Outcome.ACCEPT).body == was


def test_a_template_preview_fills_its_placeholders_and_saving_keeps_it(
    admin, make_application, client_for
):
    make_application(city="Toledo", state="OH", contact_name="Robin Clerk")
    client = client_for(admin)
    data = {"subject": "Hello {city}", "body": "Dear {contact_name} of {city_label}."}
    page = client.post("/applications/letters/hold", data=data | {"preview": "Preview"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Dear Robin Clerk of Toledo, OH." in text
    assert db.session.scalar(select(LetterTemplate.subject).where(
        LetterTemplate.outcome == Outcome.HOLD)) != "Hello {city}"  # fmt: skip
    assert (
        client.post("/applications/letters/hold", data=data | {"save": "Save"}).status_code == 302
    )
    db.session.expire_all()
    assert letters.template_for(Outcome.HOLD).subject == "Hello {city}"


def test_placeholders_reach_no_attribute():
    values = {"city": "Mesa"}
    assert letters.fill("{city.__class__} {city} {nope}", values) == "{city.__class__} Mesa {nope}"


def test_the_dashboard_counts_applicants_and_accepted_by_region_and_band(admin, make_application):
    make_application(status="draft", state="NY")
    fast = make_application(city="Mesa", state="AZ", population=500_000)
    slow = make_application(city="Akron", state="OH", population=190_000)
    make_application(city="Erie", state="PA", population=95_000)
    for application, outcome in ((fast, Outcome.ACCEPT), (slow, Outcome.DECLINE)):
        decisions.decide(application, outcome, admin)
    db.session.commit()
    decisions.send_pending(admin)
    slow.decided_at = slow.submitted_at + timedelta(days=30)
    fast.decided_at = fast.submitted_at + timedelta(days=10)
    db.session.commit()
    board = dashboard.selection_dashboard()
    assert dict(board.pipeline) == {
        "Draft": 1, "Submitted": 1, "Under review": 0, "Meeting with leadership": 0, "Decided": 2,
    }  # fmt: skip
    assert board.outcomes == {"Accepted": 1, "Declined": 1, "On hold": 0}
    assert (board.median_days, board.p90_days) == (20.0, 30.0)
    regions = {r.label: (r.applied, r.accepted) for r in board.by_region}
    assert regions == {"Northeast": (1, 0), "Midwest": (1, 0), "West": (1, 1)}
    west = next(r for r in board.by_region if r.label == "West")
    assert (round(west.applied_share, 3), west.accepted_share) == (0.333, 1.0)
    bands = {b.label: (b.applied, b.accepted) for b in board.by_band}
    assert bands == {
        "Under 100,000": (1, 0), "100,000 to 199,999": (1, 0), "500,000 to 1 million": (1, 1),
    }  # fmt: skip


def test_percentiles():
    assert dashboard.percentile([], 0.5) is None
    assert dashboard.percentile([3, 1, 2], 0.5) == 2
    assert dashboard.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert dashboard.percentile(list(range(1, 11)), 0.9) == 9
    assert dashboard.band_of(1_000_000) == "500,000 to 1 million"
    assert dashboard.band_of(None) == "Not given"


def test_the_dashboard_runs_the_same_queries_for_any_number_of_applications(
    admin, make_application, client_for, count_queries
):
    client = client_for(admin)

    def page_queries() -> int:
        with count_queries() as counted:
            assert client.get("/applications/dashboard").status_code == 200
        return counted.count

    make_application(state="AZ")
    few = page_queries()
    for n in range(12):
        application = make_application(
            state=["TX", "WA", "ME"][n % 3], population=120_000 * (n + 1)
        )
        if n % 2:
            decisions.decide(application, Outcome.ACCEPT if n % 4 == 1 else Outcome.HOLD, admin)
    db.session.commit()
    decisions.send_pending(admin)
    assert page_queries() == few


def test_a_decision_changed_since_the_page_was_shown_is_not_sent(
    admin, make_application, client_for
):
    application = make_application(city="Reno", state="NV")
    decision = decisions.decide(application, Outcome.DECLINE, admin)
    db.session.commit()
    client = client_for(admin)
    form = {"which": "all", f"seen-{decision.id}": "accept", "seen-x": "accept"}
    client.post("/applications/decisions/send", data=form)
    page = client.get("/applications/decisions").get_data(as_text=True)
    assert "The decision was changed meanwhile" in page
    assert db.session.scalar(select(func.count(DecisionLetter.id))) == 0
