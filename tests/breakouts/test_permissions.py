"""Who may see and change a call's rooms: the call's host partner's staff and admins plan
them; members see only their own room; visitors sign in first."""

import pytest
from sqlalchemy import func, select

from convene.breakouts import planning
from convene.breakouts.models import BreakoutSetup, RoomSeat
from convene.breakouts.permissions import can_plan_rooms, can_see_own_room
from convene.extensions import db


@pytest.fixture
def people(breakout_call, make_member, make_org):
    call = breakout_call.call
    planning.set_up_rooms(call, room_count=2)
    db.session.commit()
    return {
        "member": breakout_call.everyone[0],
        "champion": make_member("champion", organisation=breakout_call.cities[1]),
        "other_host": make_member("host", organisation=make_org("partner")),
        "host": make_member("host", organisation=call.host_organisation),
        "admin": make_member("admin"),
    }


ALLOWED = {"host", "admin"}
PAGES = ["/calls/{id}/rooms", "/calls/{id}/rooms.csv", "/calls/{id}/rooms/record"]
POSTS = [
    ("/calls/{id}/rooms", {"divide_by": "count", "number": "5"}),
    ("/calls/{id}/rooms/plan", {}),
    ("/calls/{id}/rooms/off", {}),
    ("/calls/{id}/rooms/moves", {}),
    ("/calls/{id}/rooms/record", {}),
]


def test_the_rule(people, breakout_call):
    call = breakout_call.call
    for who, member in people.items():
        assert can_plan_rooms(member, call) == (who in ALLOWED), who
        assert can_see_own_room(member)
    assert not can_plan_rooms(None, call) and not can_see_own_room(None)


@pytest.mark.parametrize("url", PAGES)
def test_pages_by_role(people, breakout_call, client, client_for, url):
    url = url.format(id=breakout_call.call.id)
    answer = client.get(url)
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]
    for who, member in people.items():
        status = client_for(member).get(url).status_code
        assert (status == 403) == (who not in ALLOWED), (who, status)
        assert status in (200, 302, 403), (who, status)


@pytest.mark.parametrize(("url", "data"), POSTS)
def test_changes_by_others_are_refused_and_change_nothing(
    people, breakout_call, client, client_for, url, data
):
    url = url.format(id=breakout_call.call.id)
    seats = db.session.scalar(select(func.count()).select_from(RoomSeat))
    setup = db.session.scalar(select(BreakoutSetup))
    assert client.post(url, data=data).status_code == 302  # to sign in
    for who in ("member", "champion", "other_host"):
        assert client_for(people[who]).post(url, data=data).status_code == 403, who
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(RoomSeat)) == seats
    assert db.session.scalar(select(BreakoutSetup)).room_count == setup.room_count == 2


def test_an_unknown_call_is_404(people, client_for):
    for url in ("/calls/999999/rooms", "/calls/999999/rooms.csv", "/calls/999999/rooms/record"):
        assert client_for(people["admin"]).get(url).status_code == 404


def test_the_call_page_shows_the_whole_rooms_list_to_no_one(people, breakout_call, client_for):
    """Members see their own room; hosts get a link to the rooms page, not the list."""
    views = planning.rooms_for(breakout_call.call)
    other_room = next(v for v in views if people["member"] not in v.people)
    for who in ("member", "host", "admin"):
        page = client_for(people[who]).get(f"/calls/{breakout_call.call.id}").get_data(as_text=True)
        assert all(f"{m.name} (" not in page for m in other_room.people), who
        has_link = f'href="/calls/{breakout_call.call.id}/rooms"' in page
        assert has_link == (who in ALLOWED), who
