"""Breakout rooms from the host's setup to a member's call page: the host asks for two
rooms, sees them, moves one person by hand, downloads the file for the video call's
import; a member signs in on a phone and finds their room and roommates on the call."""

from pathlib import Path

import pytest
from sqlalchemy import select

from convene.breakouts.models import BreakoutRoom, RoomSeat
from convene.convenings.models import Rsvp, RsvpAnswer
from convene.extensions import db
from tests.e2e.browser import PHONE, sign_in

pytestmark = pytest.mark.e2e


def _room_of(member_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(BreakoutRoom.number)
        .join(RoomSeat, RoomSeat.room_id == BreakoutRoom.id)
        .where(RoomSeat.member_id == member_id)
    )


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at {PHONE['width']}"


def test_rooms_from_setup_to_a_members_call_page(
    live_server, browser_page, make_org, make_member, make_call
):
    from playwright.sync_api import expect

    base = live_server.url
    partner = make_org("partner", name="Results Lab")
    call = make_call(host=partner, title="Data-driven budgeting")
    host = make_member("host", organisation=partner, name="Hana Host")
    cities = [make_org(name=n, state=s) for n, s in (("Mesa", "AZ"), ("Tulsa", "OK"))]
    people = [
        make_member(organisation=cities[i % 2], name=name)
        for i, name in enumerate(["Ana Ortiz", "Ben Li", "Cai Moreno", "Dee Park"])
    ]
    for person in people:
        db.session.add(Rsvp(call_id=call.id, member_id=person.id, answer=RsvpAnswer.YES))
    db.session.commit()

    page = browser_page()
    sign_in(page, base, host)
    page.goto(f"{base}/calls/{call.id}")
    page.get_by_role("link", name="Set up breakout rooms").click()
    page.get_by_label("Into a number of rooms").check()
    page.get_by_label("Number of rooms, or people per room").fill("2")
    page.get_by_role("button", name="Save and plan the rooms").click()
    expect(page.get_by_text("The rooms are planned: 2 rooms.")).to_be_visible()
    expect(page.get_by_role("heading", name="Room 1")).to_be_visible()
    expect(page.get_by_role("heading", name="Room 2")).to_be_visible()

    mover = people[0]
    target = 3 - _room_of(mover.id)
    page.get_by_label(f"Room for {mover.name}").select_option(f"Room {target}")
    page.get_by_role("button", name="Save the moves").click()
    expect(page.get_by_text("1 person moved; each is told by email.")).to_be_visible()
    assert _room_of(mover.id) == target
    expect(page.locator(f"#room-{target}").get_by_text(mover.name)).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rooms (CSV)").click()
    saved = download.value
    assert saved.suggested_filename.endswith("-breakout-rooms.csv")
    lines = Path(saved.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Pre-assign Room Name,Email Address"
    assert f"Room {target},{mover.email}" in lines

    page.set_viewport_size(PHONE)
    page.goto(f"{base}/calls/{call.id}/rooms")
    _no_sideways_scroll(page)

    phone = browser_page(timezone_id="America/Phoenix")
    sign_in(phone, base, mover)
    phone.set_viewport_size(PHONE)
    phone.goto(f"{base}/calls/{call.id}")
    room = phone.locator("#your-room")
    expect(room.get_by_role("heading", name="Your breakout room")).to_be_visible()
    mates = [p for p in people if p is not mover and _room_of(p.id) == target]
    expect(room).to_contain_text(f"Room {target}, with ")
    for mate in mates:
        expect(room).to_contain_text(f"{mate.name} ({mate.organisation.name})")
    others = [p for p in people if p is not mover and p not in mates]
    for other in others:
        expect(room).not_to_contain_text(other.name)
    _no_sideways_scroll(phone)
