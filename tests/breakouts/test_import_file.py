"""The rooms as the video call's pre-assignment import reads them: Zoom's own header, one
row per placed person (room name, address), nothing else in the file."""

import csv
import io

from convene.breakouts import planning
from convene.extensions import db


def _download(client, call) -> bytes:
    response = client.get(f"/calls/{call.id}/rooms.csv")
    assert response.status_code == 200
    return response.data


def test_rows_are_by_room_then_name_with_the_video_address_first(
    breakout_call, make_member, client_for
):
    call = breakout_call.call
    planning.set_up_rooms(call, room_count=3)
    for member in breakout_call.everyone[::2]:
        member.video_email = f"zoom.{member.id}@example.org"
    db.session.commit()
    host = make_member("host", organisation=call.host_organisation)
    body = _download(client_for(host), call)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert rows[0] == ["Pre-assign Room Name", "Email Address"]
    expected = []
    for view in planning.rooms_for(call):
        for m in sorted(view.people, key=lambda m: (m.name, m.id)):
            expected.append([view.room.name, m.video_email or m.email])
    assert rows[1:] == expected
    assert len(rows) - 1 == len(breakout_call.everyone)
    assert body.count(b"\r\n") == len(rows) and b"\xef\xbb\xbf" not in body


def test_an_address_a_spreadsheet_would_run_is_defused(breakout_call, make_member, client_for):
    """An address may legally start with = or +; opened in a spreadsheet it would run."""
    call = breakout_call.call
    planning.set_up_rooms(call, room_count=1)
    sly = breakout_call.everyone[0]
    sly.video_email = "=hyperlink(x)@example.org"
    db.session.commit()
    host = make_member("host", organisation=call.host_organisation)
    body = _download(client_for(host), call).decode()
    assert "Room 1,'=hyperlink(x)@example.org\r\n" in body
    assert "\n=" not in body and ",=" not in body


def test_a_hundred_rooms_fit(make_breakout_call, make_member, client_for):
    setup = make_breakout_call(cities=4, per_city=1)
    planning.set_up_rooms(setup.call, room_count=100)
    db.session.commit()
    host = make_member("host", organisation=setup.call.host_organisation)
    body = _download(client_for(host), setup.call).decode()
    names = {line.split(",")[0] for line in body.splitlines()[1:]}
    assert len(body.splitlines()) == 1 + len(setup.everyone)
    assert all(name.startswith("Room ") and 1 <= int(name[5:]) <= 100 for name in names)
