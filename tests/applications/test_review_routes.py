"""The review pages for each role: visitor, city member, champion, partner host who is not a
reviewer, partner reviewer, admin; the letter download; the forms; the admin pages."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from convene.applications.models import Review, ReviewAssignment, Reviewer
from convene.applications.rubric import active_criteria
from convene.applications.uploads import uploads_folder
from convene.extensions import db

PDF = b"%PDF-1.4\n% a mayor's letter\n%%EOF\n"


@pytest.fixture
def people(make_member, make_reviewer):
    return {
        "city member": make_member(),
        "champion": make_member(role="champion"),
        "partner host": make_member(role="host"),
        "partner reviewer": make_reviewer("partner"),
        "admin": make_member(role="admin"),
    }


@pytest.fixture
def with_letter(app, make_application):
    application = make_application(letter_file="ab" * 16 + ".pdf", letter_filename="Mayor.pdf")
    folder = uploads_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / application.letter_file).write_bytes(PDF)
    return application


READERS = ("partner reviewer", "admin")


@pytest.mark.parametrize(
    "who", ["city member", "champion", "partner host", "partner reviewer", "admin"]
)
def test_who_reads_the_board_the_application_and_the_letter(who, people, with_letter, client_for):
    client = client_for(people[who])
    pages = [
        "/applications",
        f"/applications/{with_letter.id}",
        f"/applications/{with_letter.id}/letter",
    ]
    expected = 200 if who in READERS else 403
    assert [client.get(page).status_code for page in pages] == [expected] * 3
    home = client.get("/").get_data(as_text=True)
    assert ('href="/applications"' in home) == (who in READERS)
    admin_pages = ["/applications/reviewers", "/applications/criteria"]
    expected = 200 if who == "admin" else 403
    assert [client.get(page).status_code for page in admin_pages] == [expected] * 2


def test_a_visitor_is_sent_to_sign_in(client, with_letter):
    for page in ("/applications", f"/applications/{with_letter.id}/letter"):
        response = client.get(page)
        assert response.status_code == 302 and "sign" in response.headers["Location"]


def test_the_letter_is_a_download_never_cached(people, with_letter, client_for):
    response = client_for(people["admin"]).get(f"/applications/{with_letter.id}/letter")
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "Mayor.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


def test_the_application_page_shows_every_field(people, with_letter, client_for):
    page = client_for(people["admin"]).get(f"/applications/{with_letter.id}")
    text = page.get_data(as_text=True)
    for shown in (
        with_letter.city_label,
        with_letter.champion_name,
        with_letter.champion_email,
        "Executive (city manager",
        "We publish an open data portal",
        "Two analysts half time",
        "Building a performance programme",
        "Open data",
        "311 data",
        "Download Mayor.pdf",
    ):
        assert shown in text, shown


def test_a_reviewer_saves_a_draft_then_submits(people, with_letter, client_for):
    reviewer = people["partner reviewer"]
    db.session.add(ReviewAssignment(application_id=with_letter.id, member_id=reviewer.id))
    db.session.commit()
    client = client_for(reviewer)
    page = client.get(f"/applications/{with_letter.id}").get_data(as_text=True)
    assert "Save draft" in page and "Prior use of data" in page
    criteria = active_criteria()
    url = f"/applications/{with_letter.id}/review"
    draft = {f"review-score_{criteria[0].id}": "4", "review-comments": "Strong portal."}
    response = client.post(url, data=draft | {"review-save": "Save draft"})
    assert response.status_code == 302
    refused = client.post(url, data=draft | {"review-submit_review": "Submit"})
    assert refused.status_code == 400
    assert "before submitting" in refused.get_data(as_text=True)
    full = {f"review-score_{c.id}": "4" for c in criteria} | {"review-submit_review": "Submit"}
    assert client.post(url, data=full).status_code == 302
    review = db.session.scalar(sa.select(Review))
    assert review.submitted_at is not None and len(review.scores) == len(criteria)
    bad = client.post(url, data=full | {f"review-score_{criteria[0].id}": "9"})
    assert bad.status_code == 400


def test_a_reviewer_declares_a_conflict(people, with_letter, client_for):
    reviewer = people["partner reviewer"]
    db.session.add(ReviewAssignment(application_id=with_letter.id, member_id=reviewer.id))
    db.session.commit()
    response = client_for(reviewer).post(
        f"/applications/{with_letter.id}/conflict", data={"conflict-reason": "Former employer"}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ReviewAssignment.id))) == 0


def test_admins_mark_only_admins_and_partner_staff(people, client_for):
    client = client_for(people["admin"])
    refused = client.post("/applications/reviewers", data={"email": people["champion"].email})
    assert refused.status_code == 400
    assert "only admins and partner staff" in refused.get_data(as_text=True)
    unknown = client.post("/applications/reviewers", data={"email": "nobody@example.org"})
    assert unknown.status_code == 400
    host = people["partner host"]
    assert client.post("/applications/reviewers", data={"email": host.email}).status_code == 302
    marked = db.session.scalars(sa.select(Reviewer.member_id).where(Reviewer.active)).all()
    assert set(marked) == {host.id, people["partner reviewer"].id}
    assert client.post(f"/applications/reviewers/{host.id}/unmark").status_code == 302
    assert not db.session.scalar(sa.select(Reviewer.active).where(Reviewer.member_id == host.id))


def test_admins_edit_criteria_and_bad_weights_change_nothing(people, client_for):
    client = client_for(people["admin"])
    criterion = active_criteria()[0]
    url = f"/applications/criteria/{criterion.id}"
    bad = client.post(url, data={"name": criterion.name, "weight": "0", "active": "y"})
    assert bad.status_code == 400
    good = client.post(url, data={"name": criterion.name, "weight": "2.5", "active": "y"})
    assert good.status_code == 302
    db.session.refresh(criterion)
    assert criterion.weight == 2.5
    added = client.post("/applications/criteria", data={"name": "Equity", "weight": "1"})
    assert added.status_code == 302
    assert "Equity" in [c.name for c in active_criteria()]


def test_assign_reviewers_button_says_what_it_did(people, make_application, client_for):
    for _ in range(3):
        make_application()
    client = client_for(people["admin"])
    response = client.post("/applications/assign", follow_redirects=True)
    text = response.get_data(as_text=True)
    # One reviewer only: each application gets one, and cannot reach two.
    assert "0 applications have two reviewers (3 new assignments); 3 could not" in text
    assert client_for(people["partner reviewer"]).post("/applications/assign").status_code == 403


def test_meeting_form_schedules_in_the_city_zone(people, make_application, client_for):
    application = make_application(zone="America/Chicago")
    day = date.today() + timedelta(days=30)
    client = client_for(people["admin"])
    data = {
        "meeting-day": day.isoformat(),
        "meeting-starts_time": "09:30",
        "meeting-duration_minutes": "60",
    }
    assert client.post(f"/applications/{application.id}/meeting", data=data).status_code == 302
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "09:30" in page and "Move the meeting" in page
    bad = client.post(
        f"/applications/{application.id}/meeting", data=data | {"meeting-duration_minutes": "0"}
    )
    assert bad.status_code == 400
