"""Where members find their room besides the call's page: the call's reminder and their
own calendar feed; and the address they give for video calls."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from convene.breakouts import lookup, planning
from convene.calendar.publishing import feed_cache
from convene.calendar.subscriptions import subscription_for
from convene.extensions import db
from convene.notifications.models import OutboxMessage
from convene.notifications.reminders import send_reminders

NOW = datetime.now(UTC).replace(microsecond=0)


def _room_words(call, member) -> tuple[str, list]:
    room, mates = lookup.room_of(call.id, member.id)
    return room.name, mates


def test_the_call_reminder_names_the_room_and_roommates(make_breakout_call, make_call):
    setup = make_breakout_call(call=make_call(starts_at=NOW + timedelta(hours=20)))
    planning.set_up_rooms(setup.call, room_count=2)
    db.session.commit()
    member = setup.everyone[0]
    member.video_email = "zoom@example.org"
    db.session.commit()
    name, mates = _room_words(setup.call, member)
    assert send_reminders(NOW) == len(setup.everyone)
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == member.email)
    )
    mates_text = ", ".join(f"{m.name} ({m.organisation.name})" for m in mates)
    assert f"Your breakout room: {name}, with {mates_text}\n" in message.body_text
    assert "signed in with zoom@example.org" in message.body_text


def test_a_reminder_without_rooms_says_nothing_of_them(make_breakout_call, make_call):
    setup = make_breakout_call(call=make_call(starts_at=NOW + timedelta(hours=20)))
    assert send_reminders(NOW) == len(setup.everyone)
    assert all("breakout" not in m.body_text for m in db.session.scalars(select(OutboxMessage)))


def _unfold(ics: str) -> str:
    return ics.replace("\r\n ", "").replace("\\n", "\n").replace("\\,", ",")


def test_the_personal_feed_describes_the_members_room(make_breakout_call, client, make_call):
    first = make_breakout_call()
    second = make_breakout_call(call=make_call(starts_at=NOW + timedelta(days=9)))
    planning.set_up_rooms(first.call, room_count=2)
    db.session.commit()
    member = first.everyone[0]
    second_rsvp = second.everyone[0]  # someone else; our member has no room on call two
    token = subscription_for(member).token
    db.session.commit()
    feed_cache().clear()
    feed = _unfold(client.get(f"/calendar/me/{token}.ics").get_data(as_text=True))
    name, mates = _room_words(first.call, member)
    mates_text = ", ".join(f"{m.name} ({m.organisation.name})" for m in mates)
    assert f"Your breakout room: {name}, with {mates_text}" in feed
    assert feed.count("Your breakout room") == 1
    assert second_rsvp.name not in feed

    # A roommate moved away: the member's feed changes with it (its scope was bumped).
    mate = mates[0]
    planning.move_by_hand(first.call, mate.id, 2 if name == "Room 1" else 1)
    db.session.commit()
    feed = _unfold(client.get(f"/calendar/me/{token}.ics").get_data(as_text=True))
    assert f"{mate.name} ({mate.organisation.name})" not in feed.split("Your breakout room")[1]


def test_public_and_partner_feeds_show_no_rooms(breakout_call, client):
    planning.set_up_rooms(breakout_call.call, room_count=2)
    db.session.commit()
    feed_cache().clear()
    for url in (
        "/calendar/public.ics",
        f"/calendar/partners/{breakout_call.call.host_organisation.slug}.ics",
    ):
        answer = client.get(url)
        assert answer.status_code == 200
        assert "breakout" not in answer.get_data(as_text=True).lower()


def test_a_member_records_the_address_they_use_for_video_calls(make_member, client_for):
    member = make_member()
    client = client_for(member)
    page = client.get("/account").get_data(as_text=True)
    assert (
        "Video call email" in page
        and "The address you sign in to Zoom with, if not your email." in page
    )
    data = {"name": member.name, "title": "", "zone": "", "video_email": " Me.Zoom@Example.ORG "}
    assert client.post("/account", data=data).status_code == 302
    db.session.refresh(member)
    assert member.video_email == "me.zoom@example.org"
    # Their own email again, or nothing: no separate address.
    for value in (member.email.upper(), ""):
        client.post("/account", data=data | {"video_email": value})
        db.session.refresh(member)
        assert member.video_email is None
    bad = client.post("/account", data=data | {"video_email": "not an address"})
    assert bad.status_code == 200 and "Enter an email address" in bad.get_data(as_text=True)
    db.session.refresh(member)
    assert member.video_email is None
