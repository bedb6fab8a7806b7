"""A host records attendance among many people by filtering them by city and name; the calls
pages fit a 390 px phone without sideways scrolling."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from convene.convenings.models import Attendance, CallStatus, Rsvp, RsvpAnswer
from convene.extensions import db
from tests.conftest import PASSWORD
from tests.e2e.browser import PHONE, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def network(make_org, make_member, make_series, make_call):
    """A past call of one partner, and 3 cities of 12 people each (one said yes)."""
    partner = make_org("partner", name="Center for Government Excellence", slug="govex")
    host = make_member("host", organisation=partner, name="Hana Host")
    series = make_series(partners=[partner])
    call = make_call(
        series=series,
        starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3),
        title="Open data policy",
    )
    cities = {}
    for name in ("Akron", "Mesa", "Tulsa"):
        city = make_org("city", name=name)
        cities[name] = [make_member(organisation=city, name=f"{name} Person {i:02d}")
                        for i in range(12)]  # fmt: skip
    said_yes = cities["Tulsa"][3]
    db.session.add(Rsvp(call=call, member=said_yes, answer=RsvpAnswer.YES))
    db.session.commit()
    return call, host, cities, said_yes


def _visible_names(page) -> list[str]:
    return page.locator("[data-group] li:visible label").all_inner_texts()


def test_filter_by_city_and_name_keeps_people_ticked_out_of_view(
    live_server, browser_page, network
):
    call, host, cities, said_yes = network
    page = browser_page()
    sign_in(page, live_server.url, host)
    page.goto(f"{live_server.url}/calls/{call.id}/record")

    city = page.get_by_label("City or organisation")
    search = page.get_by_label("Search names")
    status = page.locator("[data-filter-status]")
    assert city.is_visible() and search.is_visible()
    everyone = len(_visible_names(page))
    assert everyone >= 36
    assert page.get_by_label(said_yes.name).is_checked()  # answered yes: ticked already

    city.select_option(label="Mesa, NY")
    names = _visible_names(page)
    assert len(names) == 12 and all(n.startswith("Mesa") for n in names)
    expect(page.get_by_role("heading", name="Akron, NY")).to_be_hidden()
    assert "Showing 12 of" in status.inner_text()
    assert "1 out of view" in status.inner_text()  # Tulsa's yes, still ticked

    search.fill("person 07")
    search.press("Enter")  # filters; does not submit the form
    assert page.url.endswith(f"/calls/{call.id}/record")
    assert _visible_names(page) == ["Mesa Person 07"]
    page.get_by_label("Mesa Person 07").check()

    city.select_option(label="All")
    search.fill("akron person 1")
    assert _visible_names(page) == ["Akron Person 01", "Akron Person 10", "Akron Person 11"]
    page.get_by_label("Akron Person 11").check()
    search.fill("")
    page.get_by_label("Only those ticked").check()
    assert sorted(_visible_names(page)) == sorted(
        ["Akron Person 11", "Mesa Person 07", said_yes.name]
    )
    page.get_by_label("Only those ticked").uncheck()
    search.fill("zzz")
    assert _visible_names(page) == []
    assert "3 ticked (3 out of view, still recorded)" in status.inner_text()

    page.get_by_role("button", name="Save the record").click()
    page.get_by_text("The call's record is saved.").wait_for()
    recorded = set(
        db.session.scalars(select(Attendance.member_id).where(Attendance.call_id == call.id))
    )
    expected = {said_yes.id, cities["Mesa"][7].id, cities["Akron"][11].id}
    assert recorded == expected
    page.get_by_text("3 attended").first.wait_for()


def test_without_the_script_every_person_shows_grouped_by_city(live_server, _chromium, network):
    call, host, _cities, _ = network
    context = _chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/sign-in")
        page.get_by_label("Email").fill(host.email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/calls/{call.id}/record")
        assert page.locator("[data-attendee-filter]").is_hidden()
        for name in ("Akron, NY", "Mesa, NY", "Tulsa, NY"):
            assert page.get_by_role("heading", name=name).is_visible()
        assert page.locator("[data-group] li:visible").count() >= 36
    finally:
        context.close()


def _fits(page, url: str, width: int) -> None:
    page.goto(url)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{url} is {wide} px wide on a {width} px screen"


def test_calls_pages_fit_a_phone_without_sideways_scroll(
    live_server, browser_page, network, make_call, make_member
):
    call, host, _cities, _ = network
    long_url = "https://example.org/" + "a-very-long-path-segment-" * 30
    call.agenda = f"Read {long_url} before the call, and <{long_url}>."
    call.notes = f"Slides: {long_url}"
    call.status = CallStatus.HELD
    upcoming = make_call(
        series=call.series, title="Participatory budgeting " + "x" * 120, agenda=long_url
    )
    db.session.commit()
    page = browser_page()
    sign_in(page, live_server.url, host)
    for width in (360, PHONE["width"]):
        page.set_viewport_size({"width": width, "height": 800})
        for path in (
            "/calls",
            "/calls/archive",
            f"/calls/{call.id}",
            f"/calls/{upcoming.id}",
            "/partners/govex",
            "/hosting",
            f"/calls/{call.id}/record",
        ):
            _fits(page, live_server.url + path, width)
    page.set_viewport_size(PHONE)
    # On a phone each call of the list is a card: its RSVP buttons show beside its facts.
    page.goto(live_server.url + "/calls")
    card = page.locator(f"#call-{upcoming.id}")
    assert card.get_by_role("button", name="Yes").is_visible()
    assert card.get_by_role("link", name="Center for Government Excellence").is_visible()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # A 1280 px desktop: the long agenda still wraps inside the page.
    page.set_viewport_size({"width": 1280, "height": 900})
    _fits(page, f"{live_server.url}/calls/{call.id}", 1280)
