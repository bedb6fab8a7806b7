"""A peer visit from request to ledger: Tulsa's champion asks Louisville for a visit, the
host city's champion accepts, programme staff approve, both cities name their people and
find the visit in their calendars, the visitors file their report once it is over, and the
tie shows on the ledger's pages and in the network picture."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from convene.calendar.subscriptions import subscription_for
from convene.extensions import db
from convene.visits.areas import add_area
from convene.visits.models import Visit, VisitReport, VisitStatus
from tests.e2e.browser import sign_in

pytestmark = pytest.mark.e2e


def _feed(page, base_url, member) -> str:
    token = subscription_for(member).token
    db.session.commit()
    answer = page.request.get(f"{base_url}/calendar/me/{token}.ics")
    assert answer.status == 200
    return answer.text()


def test_a_visit_from_request_to_the_ledger(live_server, browser_page, make_org, make_member):
    base = live_server.url
    tulsa = make_org(
        name="Tulsa", slug="tulsa", state="OK", zone="America/Chicago",
        latitude=36.154, longitude=-95.9928,
    )  # fmt: skip
    louisville = make_org(
        name="Louisville", slug="louisville", state="KY", zone="America/Kentucky/Louisville",
        latitude=38.2527, longitude=-85.7585,
    )  # fmt: skip
    add_area("Open data")
    db.session.commit()
    asker = make_member("champion", organisation=tulsa, name="Tia Tulsa")
    traveller = make_member(organisation=tulsa, name="Theo Traveller")
    host = make_member("champion", organisation=louisville, name="Lou Host")
    guide = make_member(organisation=louisville, name="Gail Guide")
    admin = make_member("admin", name="Alex Admin")
    first = date.today() + timedelta(days=40)

    # Tulsa's champion asks for a visit.
    asking = browser_page(timezone_id="America/Chicago")
    sign_in(asking, base, asker)
    asking.goto(f"{base}/visits/new?host=louisville&area=open-data")
    asking.get_by_label("First day").fill(first.isoformat())
    asking.get_by_label("Last day").fill((first + timedelta(days=1)).isoformat())
    asking.locator("textarea[name=problem]").fill("How Louisville publishes its open data.")
    asking.locator("textarea[name=intended_use]").fill("Write our own open data policy.")
    asking.get_by_role("button", name="Send the request").click()
    asking.get_by_text("Your request is sent to Louisville").wait_for()
    visit_url = asking.url
    visit = db.session.scalar(select(Visit))
    assert visit_url.endswith(f"/visits/{visit.id}") and visit.status == VisitStatus.REQUESTED

    # Louisville's champion accepts it.
    hosting = browser_page(timezone_id="America/Kentucky/Louisville")
    sign_in(hosting, base, host)
    hosting.goto(visit_url)
    hosting.get_by_label("Accept").check()
    hosting.get_by_role("button", name="Send the answer").click()
    hosting.locator("#visit-status").get_by_text("accepted", exact=False).wait_for()

    # Programme staff approve it.
    staff = browser_page()
    sign_in(staff, base, admin)
    staff.goto(visit_url)
    staff.get_by_role("button", name="Approve the visit").click()
    staff.locator("#visit-status").get_by_text("approved", exact=False).wait_for()
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status == VisitStatus.APPROVED

    # Each champion names their city's person on the visit; both calendars show it.
    for page, person in ((asking, traveller), (hosting, guide)):
        page.goto(f"{visit_url}/people")
        page.locator("select[name=member_id]").select_option(str(person.id))
        page.get_by_role("button", name="Name them").click()
        page.locator("main").get_by_text(person.name).first.wait_for()
    for page, person in ((asking, traveller), (hosting, guide)):
        feed = _feed(page, base, person)
        assert f"DTSTART;VALUE=DATE:{first:%Y%m%d}" in feed, person.name
        assert "Louisville" in feed and "Open data" in feed

    # Time passes: the visit is over (its days are moved into the past, as a clock would).
    over = date.today() - timedelta(days=3)
    visit = db.session.get(Visit, visit.id)
    visit.starts_on, visit.ends_on = over - timedelta(days=1), over
    db.session.commit()

    # The visitors file their report from the visit's page.
    visiting = browser_page(timezone_id="America/Chicago")
    sign_in(visiting, base, traveller)
    visiting.goto(visit_url)
    visiting.get_by_role("link", name="Write Tulsa, OK's report").click()
    visiting.get_by_label("What was shown").fill("The open data **release calendar**.")
    visiting.get_by_label("What the visitors will try").fill("An inventory of our datasets.")
    visiting.get_by_label("Links to resources").fill("Policy | https://example.org/policy")
    visiting.get_by_role("button", name="Publish to the network").click()
    visiting.get_by_text("Tulsa, OK's report is published to the network").wait_for()
    expect(visiting.locator("main strong").get_by_text("release calendar")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(select(VisitReport)).is_published
    assert db.session.get(Visit, visit.id).status == VisitStatus.HELD

    # Another member finds it by searching past calls' notes and reports.
    visiting.goto(f"{base}/calls/archive?q=release+calendar")
    visiting.get_by_role("link", name="Tulsa, OK's report").wait_for()

    # The tie is on the ledger's pages and in the picture.
    visiting.goto(f"{base}/network/cities/tulsa")
    main = visiting.locator("main").inner_text()
    assert "Louisville" in main and "visit" in main.lower()
    visiting.goto(f"{base}/network")
    tie = visiting.locator("svg.network-picture line.tie title")
    assert tie.count() == 1
    assert "Tulsa, OK and Louisville, KY" in tie.first.text_content() or (
        "Louisville, KY and Tulsa, OK" in tie.first.text_content()
    )
    assert "visit" in tie.first.text_content()
