"""A host moves a call; a member in Phoenix sees the new time in their own zone."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from convene.convenings import rotation
from convene.convenings.models import Call, Series, SeriesHost
from convene.extensions import db
from tests.e2e.browser import sign_in

pytestmark = pytest.mark.e2e


def test_host_moves_a_call_and_a_phoenix_member_sees_the_new_time(
    live_server, browser_page, make_org, make_member
):
    partner = make_org("partner", name="Center for Government Excellence")
    series = Series(
        name="Network call",
        first_date=date.today() + timedelta(days=7),
        local_time=time(13, 0),
        zone="America/New_York",
        video_url="https://meet.example.org/network",
    )
    series.rotation = [SeriesHost(position=0, organisation=partner)]
    db.session.add(series)
    db.session.flush()
    rotation.materialise(series, series.first_date + timedelta(weeks=4))
    db.session.commit()
    call = db.session.scalar(db.select(Call).order_by(Call.starts_at))
    host = make_member("host", organisation=partner, name="Hana Host")
    member = make_member(name="Pat Phoenix", zone="America/Phoenix")

    new_day = call.slot_date + timedelta(days=1)
    new_start = datetime.combine(new_day, time(15, 30), tzinfo=ZoneInfo("America/New_York"))
    in_phoenix = new_start.astimezone(ZoneInfo("America/Phoenix"))
    expected = f"{in_phoenix:%a %-d %b %Y, %H:%M} MST (America/Phoenix)"

    page = browser_page()
    sign_in(page, live_server.url, host)
    page.goto(f"{live_server.url}/calls/{call.id}")
    page.get_by_role("link", name="Move").click()
    page.get_by_label("New date").fill(new_day.isoformat())
    page.get_by_label("New start time").fill("15:30")
    page.get_by_label("In the time zone").select_option("America/New_York")
    page.get_by_label("Duration in minutes").fill("45")
    page.get_by_role("button", name="Move the call").click()
    page.get_by_text("The call is moved").wait_for()

    viewer = browser_page(timezone_id="America/Phoenix")
    sign_in(viewer, live_server.url, member)
    viewer.goto(live_server.url + "/calls")
    row = viewer.locator(f"#call-{call.id}")
    assert expected in row.inner_text()
    assert "Moved" in row.inner_text()
    row.get_by_role("link").first.click()
    assert expected in viewer.locator("main").inner_text()
    assert "45 minutes" in viewer.locator("main").inner_text()
