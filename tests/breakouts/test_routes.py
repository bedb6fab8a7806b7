"""The host's rooms page, its forms and import file, the record of who was where, and each
attendee's own room on the call's page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from convene.breakouts import planning
from convene.breakouts.models import BreakoutRoom, BreakoutSetup, RoomPresence, RoomSeat
from convene.convenings.models import Attendance
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.types import utcnow


@pytest.fixture
def host(breakout_call, make_member):
    return make_member("host", organisation=breakout_call.call.host_organisation)


def _seats() -> dict[int, int]:
    """member id -> room number."""
    rows = db.session.execute(
        select(RoomSeat.member_id, BreakoutRoom.number).join(
            BreakoutRoom, BreakoutRoom.id == RoomSeat.room_id
        )
    )
    return dict(rows.all())


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _set_up(client, call, how="count", number="3"):
    return client.post(f"/calls/{call.id}/rooms", data={"divide_by": how, "number": number})


def test_the_host_sets_up_three_rooms_and_sees_them(breakout_call, host, client_for):
    client = client_for(host)
    page = client.get(f"/calls/{breakout_call.call.id}/rooms").get_data(as_text=True)
    assert "Set up breakout rooms" in page and "Into a number of rooms" in page
    response = _set_up(client, breakout_call.call)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The rooms are planned: 3 rooms." in page
    for n in (1, 2, 3):
        assert f'id="room-{n}"' in page
    assert 'id="room-4"' not in page
    for member in breakout_call.everyone:
        assert member.name in page
    assert breakout_call.declined.name not in page
    assert len(_seats()) == len(breakout_call.everyone)


def test_people_per_room_gives_the_right_count(breakout_call, host, client_for):
    """11 people coming in rooms of 4: three rooms."""
    assert _set_up(client_for(host), breakout_call.call, "size", "4").status_code == 302
    setup = db.session.scalar(select(BreakoutSetup))
    assert (setup.room_count, setup.room_size) == (None, 4)
    assert _count(BreakoutRoom) == 3 and len(set(_seats().values())) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"divide_by": "count", "number": "0"}, "Give a number of rooms from 1 to 100."),
        ({"divide_by": "count", "number": "101"}, "Give a number of rooms from 1 to 100."),
        ({"divide_by": "size", "number": "1"}, "Give a number of people per room from 2 to 50."),
        ({"divide_by": "size", "number": "51"}, "Give a number of people per room from 2 to 50."),
        ({"divide_by": "count", "number": "three"}, "Give a whole number, such as 4."),
        ({"divide_by": "count", "number": ""}, "Give the number of rooms or of people per room."),
        ({"number": "3"}, "Choose a number of rooms or people per room."),
        ({"divide_by": "both", "number": "3"}, "Choose a number of rooms or people per room."),
        (
            {"divide_by": ["count", "size"], "number": "3"},
            "Choose one: a number of rooms, or people per room.",
        ),
    ],
)
def test_bad_setups_are_told_and_change_nothing(breakout_call, host, client_for, data, message):
    response = client_for(host).post(f"/calls/{breakout_call.call.id}/rooms", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page and message in page
    assert _count(BreakoutSetup) == _count(BreakoutRoom) == _count(RoomSeat) == 0


def test_a_refusal_of_the_domain_shows_with_the_form(breakout_call, host, client_for):
    call = breakout_call.call
    call.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    page = _set_up(client_for(host), call).get_data(as_text=True)
    assert "This call has started" in page
    assert _count(BreakoutSetup) == 0


def test_changing_the_setup_plans_again(breakout_call, host, client_for):
    client = client_for(host)
    _set_up(client, breakout_call.call, "count", "2")
    _set_up(client, breakout_call.call, "count", "4")
    setup = db.session.scalar(select(BreakoutSetup))
    assert setup.room_count == 4 and _count(BreakoutRoom) == 4
    page = client.get(f"/calls/{breakout_call.call.id}/rooms").get_data(as_text=True)
    assert re.search(r'name="number"[^>]*value="4"', page)


def test_moving_people_by_hand(breakout_call, host, client_for, smtp, deliver_mail):
    client = client_for(host)
    call = breakout_call.call
    _set_up(client, call, "count", "3")
    seats = _seats()
    mover = breakout_call.everyone[0]
    target = 1 + seats[mover.id] % 3  # another room
    stays = breakout_call.everyone[1]
    smtp.clear()
    data = {f"member-{m.id}": str(n) for m, n in ((m, seats[m.id]) for m in breakout_call.everyone)}
    data[f"member-{mover.id}"] = str(target)
    data[f"member-{stays.id}"] = ""  # out of every room
    response = client.post(f"/calls/{call.id}/rooms/moves", data=data)
    assert response.status_code == 302
    assert "2 people moved" in client.get(response.headers["Location"]).get_data(as_text=True)
    after = _seats()
    assert after[mover.id] == target and stays.id not in after
    assert all(after[m.id] == seats[m.id] for m in breakout_call.everyone[2:])
    by_hand = db.session.scalar(select(RoomSeat).where(RoomSeat.member_id == mover.id))
    assert by_hand.by_hand
    changed = db.session.scalars(
        select(Action.member_id).where(Action.kind == ActionKind.BREAKOUT_ROOM_CHANGED)
    ).all()
    assert sorted(changed) == sorted([mover.id, stays.id])
    deliver_mail()
    mail = smtp.to(mover.email)
    assert len(mail) == 1 and f"Room {target}" in mail[0]["Subject"]


def test_a_move_to_an_unknown_room_is_refused(breakout_call, host, client_for):
    client = client_for(host)
    _set_up(client, breakout_call.call, "count", "2")
    seats = _seats()
    mover = breakout_call.everyone[0]
    response = client.post(
        f"/calls/{breakout_call.call.id}/rooms/moves", data={f"member-{mover.id}": "7"}
    )
    assert response.status_code == 200
    assert "Choose one of the rooms listed." in response.get_data(as_text=True)
    assert _seats() == seats


def test_plan_again_keeps_moves_by_hand(breakout_call, host, client_for):
    client = client_for(host)
    call = breakout_call.call
    _set_up(client, call, "count", "3")
    mover = breakout_call.everyone[0]
    target = 1 + _seats()[mover.id] % 3
    client.post(f"/calls/{call.id}/rooms/moves", data={f"member-{mover.id}": str(target)})
    response = client.post(f"/calls/{call.id}/rooms/plan")
    assert response.status_code == 302
    assert _seats()[mover.id] == target


def test_turning_rooms_off(breakout_call, host, client_for):
    client = client_for(host)
    _set_up(client, breakout_call.call)
    assert client.post(f"/calls/{breakout_call.call.id}/rooms/off").status_code == 302
    assert _count(BreakoutSetup) == _count(BreakoutRoom) == _count(RoomSeat) == 0


def test_the_import_file_is_exactly_the_video_calls_format(breakout_call, host, client_for):
    client = client_for(host)
    call = breakout_call.call
    assert client.get(f"/calls/{call.id}/rooms.csv").status_code == 404  # no rooms yet
    first = breakout_call.everyone[0]
    first.video_email = "Zoom.Name@Example.org"
    db.session.commit()
    _set_up(client, call, "count", "2")
    response = client.get(f"/calls/{call.id}/rooms.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    day = call.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(call.zone)).date()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{day.isoformat()}-breakout-rooms.csv"'
    )
    body = response.data
    assert body.startswith(b"Pre-assign Room Name,Email Address\r\n")  # no byte-order mark
    room = _seats()[first.id]
    assert f"Room {room},zoom.name@example.org\r\n".encode() in body
    assert first.email.encode() not in body
    second = breakout_call.everyone[1]
    assert f"Room {_seats()[second.id]},{second.email}\r\n".encode() in body
    lines = body.decode().splitlines()
    assert len(lines) == 1 + len(breakout_call.everyone)
    assert [line.split(",")[0] for line in lines[1:]] == sorted(
        (line.split(",")[0] for line in lines[1:]), key=lambda name: int(name.split()[1])
    )


def test_the_host_is_warned_of_people_without_a_video_call_address(breakout_call, host, client_for):
    for member in breakout_call.everyone[1:]:
        member.video_email = f"video.{member.id}@example.org"
    db.session.commit()
    client = client_for(host)
    _set_up(client, breakout_call.call)
    page = client.get(f"/calls/{breakout_call.call.id}/rooms").get_data(as_text=True)
    assert "1 person has no video call address" in page
    warning = page.split('id="video-heading"')[1].split("</section>")[0]
    assert breakout_call.everyone[0].email in warning
    assert breakout_call.everyone[1].name not in warning


def test_recording_who_was_in_each_room(breakout_call, host, client_for):
    client = client_for(host)
    call = breakout_call.call
    _set_up(client, call, "count", "2")
    url = f"/calls/{call.id}/rooms/record"
    assert "once the call has started" in client.get(url).get_data(as_text=True)
    call.starts_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    seats = _seats()
    page = client.get(url).get_data(as_text=True)
    a, b = breakout_call.everyone[0], breakout_call.everyone[1]
    assert re.search(rf'name="member-{a.id}".*?<option selected value="{seats[a.id]}"', page, re.S)
    other = 3 - seats[a.id]
    data = {f"member-{m.id}": str(n) for m, n in ((m, seats[m.id]) for m in breakout_call.everyone)}
    data[f"member-{a.id}"] = str(other)
    data[f"member-{b.id}"] = ""
    response = client.post(url, data=data)
    assert response.status_code == 302
    recorded = dict(
        db.session.execute(
            select(RoomPresence.member_id, BreakoutRoom.number).join(
                BreakoutRoom, BreakoutRoom.id == RoomPresence.room_id
            )
        ).all()
    )
    assert recorded[a.id] == other and b.id not in recorded
    assert len(recorded) == len(breakout_call.everyone) - 1
    # Shown again, each person starts where they were recorded.
    page = client.get(url).get_data(as_text=True)
    assert re.search(rf'name="member-{a.id}".*?<option selected value="{other}"', page, re.S)


def test_the_record_lists_the_recorded_attendance(breakout_call, host, client_for):
    client = client_for(host)
    call = breakout_call.call
    _set_up(client, call, "count", "2")
    call.starts_at = utcnow() - timedelta(hours=2)
    came = breakout_call.everyone[:3]
    db.session.add_all(Attendance(call_id=call.id, member_id=m.id) for m in came)
    db.session.commit()
    page = client.get(f"/calls/{call.id}/rooms/record").get_data(as_text=True)
    assert all(f'name="member-{m.id}"' in page for m in came)
    assert f'name="member-{breakout_call.everyone[3].id}"' not in page


def test_a_member_sees_their_own_room_and_not_the_others(breakout_call, host, client_for):
    _set_up(client_for(host), breakout_call.call, "count", "3")
    views = planning.rooms_for(breakout_call.call)
    mine = next(v for v in views if len(v.people) >= 2)
    me, mate = mine.people[0], mine.people[1]
    strangers = [m for v in views if v is not mine for m in v.people]
    page = client_for(me).get(f"/calls/{breakout_call.call.id}").get_data(as_text=True)
    section = page.split('id="your-room"')[1].split("</section>")[0]
    assert "Your breakout room" in page
    assert f"{mine.room.name}, with " in section
    assert f"{mate.name} ({mate.organisation.name})" in section
    assert f"{me.name} (" not in section
    assert strangers and all(f"{s.name} (" not in section for s in strangers)
    assert f"/calls/{breakout_call.call.id}/rooms" not in page  # no host link
    assert client_for(me).get(f"/calls/{breakout_call.call.id}/rooms").status_code == 403


def test_the_host_sees_a_link_to_the_rooms(breakout_call, host, client_for):
    page = client_for(host).get(f"/calls/{breakout_call.call.id}").get_data(as_text=True)
    assert "Set up breakout rooms" in page
    _set_up(client_for(host), breakout_call.call)
    page = client_for(host).get(f"/calls/{breakout_call.call.id}").get_data(as_text=True)
    assert f'href="/calls/{breakout_call.call.id}/rooms"' in page


def test_the_rooms_page_runs_a_fixed_number_of_queries(
    make_breakout_call, make_member, client_for, count_queries
):
    counts = []
    for per_city in (2, 6):
        setup = make_breakout_call(cities=4, per_city=per_city)
        host = make_member("host", organisation=setup.call.host_organisation)
        client = client_for(host)
        rooms = 2 if per_city == 2 else 6
        _set_up(client, setup.call, "count", str(rooms))
        for member in setup.everyone[::2]:
            member.video_email = f"v{member.id}@example.org"
        db.session.commit()
        db.session.expire_all()
        with count_queries() as q:
            assert client.get(f"/calls/{setup.call.id}/rooms").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_a_save_from_a_stale_page_keeps_the_other_hosts_moves(breakout_call, host, client_for):
    """Two hosts with the rooms page open. The second host's save leaves alone the people
    they did not touch, and refuses (moving nobody) when they moved someone whom the first
    host had moved since."""
    client = client_for(host)
    call = breakout_call.call
    _set_up(client, call, "count", "3")
    mover, other = breakout_call.everyone[0], breakout_call.everyone[1]
    before = _seats()
    seen = " ".join(f"{i}:{n}" for i, n in before.items())
    first = 1 + before[mover.id] % 3
    client.post(f"/calls/{call.id}/rooms/moves", data={f"member-{mover.id}": str(first)})
    assert _seats()[mover.id] == first

    untouched = {"seen": seen, f"member-{mover.id}": str(before[mover.id])}
    client.post(f"/calls/{call.id}/rooms/moves", data=untouched)
    assert _seats()[mover.id] == first  # the stale page's select did not undo the move

    stale = {
        "seen": seen,
        f"member-{mover.id}": str(1 + first % 3),
        f"member-{other.id}": str(1 + before[other.id] % 3),
    }
    response = client.post(f"/calls/{call.id}/rooms/moves", data=stale, follow_redirects=True)
    assert "The rooms changed while you were editing them" in response.get_data(as_text=True)
    assert _seats()[mover.id] == first and _seats()[other.id] == before[other.id]
