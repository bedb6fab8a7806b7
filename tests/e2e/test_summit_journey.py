"""A member is waitlisted, promoted when someone cancels, and finds their dinner tables."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from convene.extensions import db
from convene.notifications.models import OutboxMessage
from convene.summit import seating
from convene.summit.models import (
    Registration,
    RegistrationStatus,
    SessionKind,
    SocialSession,
    Summit,
)
from convene.types import utcnow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def _sign_in(browser_page, live_server, member, timezone_id="America/New_York"):
    page = browser_page(timezone_id=timezone_id)
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm prompts
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=member.name).wait_for()
    return page


def test_waitlisted_member_is_promoted_and_sees_their_dinner_table(
    live_server, browser_page, make_member, make_org
):
    now = utcnow()
    summit = Summit(
        name="Summit 2027",
        slug="summit-2027",
        starts_on=datetime(2027, 4, 13).date(),
        ends_on=datetime(2027, 4, 15).date(),
        venue="Hyatt Regency Chicago",
        address="151 East Wacker Drive, Chicago, IL 60601",
        zone="America/Chicago",
        capacity=2,
        delegation_limit=3,
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=60),
    )
    db.session.add(summit)
    holder = make_member(name="Hana Holder")
    other = make_member(name="Omar Other")
    for person in (holder, other):
        db.session.add(
            Registration(
                summit=summit,
                member=person,
                status=RegistrationStatus.CONFIRMED,
                organisation_id=person.organisation_id,
            )
        )
    dinner = SocialSession(summit=summit, kind=SessionKind.ASSIGNED, title="Cross-city dinner")
    db.session.add(dinner)
    db.session.flush()
    seating.add_slot(
        dinner,
        "Night 1",
        datetime(2027, 4, 14, 0, tzinfo=UTC),
        datetime(2027, 4, 14, 2, tzinfo=UTC),
        tables=2,
        seats=2,
    )
    db.session.commit()
    member = make_member(name="Maria Member", organisation=make_org(zone="America/Denver"))
    admin = make_member("admin", name="Alex Admin")

    # The member registers and is waitlisted.
    page = _sign_in(browser_page, live_server, member, "America/Denver")
    page.goto(live_server.url + "/summit/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Dietary needs").fill("Vegetarian")
    page.get_by_role("button", name="Register").click()
    assert "position 1" in page.locator("#registration-status").inner_text()

    # Someone confirmed cancels: the member is promoted in the same request.
    holder_page = _sign_in(browser_page, live_server, holder)
    holder_page.goto(live_server.url + "/summit/")
    holder_page.get_by_role("button", name="Cancel my registration").click()
    holder_page.get_by_role("button", name="Yes, cancel and give up the place").click()
    holder_page.get_by_text("is cancelled").wait_for()
    page.reload()
    assert "Confirmed" in page.locator("#registration-status").inner_text()
    db.session.expire_all()
    promoted_mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == member.email)
    ).all()
    assert any("A place opened up" in m.subject for m in promoted_mail)

    # The admin runs the assignment, reviews it and publishes.
    admin_page = _sign_in(browser_page, live_server, admin)
    admin_page.goto(live_server.url + f"/summit/{summit.slug}/sessions/{dinner.id}/seating")
    admin_page.get_by_label("Seed").fill("4")
    admin_page.get_by_role("button", name="Run the assignment").click()
    assert admin_page.locator("#report-same-org").inner_text() == "0"
    assert admin_page.locator(".table-card").count() == 2
    assert admin_page.locator(".table-card", has_text="Maria Member").count() == 1
    admin_page.get_by_role("button", name="Publish and email attendees").click()
    admin_page.locator(".flash-success", has_text="The seating is published").wait_for()

    # The member finds their table in their agenda, in their own zone and the summit's.
    page.goto(live_server.url + "/summit/")
    page.get_by_role("link", name="Your personal agenda").click()
    agenda = page.locator("main").inner_text()
    assert "Cross-city dinner: Night 1" in agenda
    assert "Table" in agenda
    assert "19:00–21:00 CDT" in agenda and "18:00 MDT" in agenda
