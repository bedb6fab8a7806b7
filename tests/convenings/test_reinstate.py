"""Bringing a cancelled call back: who may, when it may not, and who hears of it (once)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from convene.calendar.invitations import REQUEST
from convene.convenings import rescheduling
from convene.convenings.models import CallStatus, Rsvp, RsvpAnswer, SkippedCall
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications.models import OutboxMessage
from convene.topics.models import Topic, TopicStatus, TopicVote
from convene.topics.scheduling import schedule_topic
from tests.conftest import body_of


def _sequence(message) -> int:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            text = part.get_payload(decode=True).decode()
            return int(text.split("SEQUENCE:")[1].split()[0])
    raise AssertionError("no calendar part")


def _method(message) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method")
    return None


@pytest.fixture
def world(make_org, make_member, make_series, make_call):
    """A call of partner A with a topic, answers of every kind, and the people around it."""
    a, b = make_org("partner", name="Partner A"), make_org("partner", name="Partner B")
    series = make_series(partners=[a, b])
    call = make_call(series=series, host_organisation_id=a.id)
    people = {
        "host": make_member("host", organisation=a, name="Hana Host"),
        "other_host": make_member("host", organisation=b, name="Omar Other"),
        "admin": make_member("admin", name="Ada Admin"),
        "yes": make_member(name="Yara Yes"),
        "maybe": make_member(name="Max Maybe"),
        "no": make_member(name="Nia No"),
        "proposer": make_member(name="Pia Proposer"),
        "voter": make_member(name="Vic Voter"),
        "bystander": make_member(name="Bea Bystander"),
    }
    for who in ("yes", "maybe", "no"):
        db.session.add(Rsvp(call=call, member=people[who], answer=RsvpAnswer(who)))
    topic = Topic(title="Open data policy", proposer=people["proposer"], status=TopicStatus.OPEN)
    db.session.add(topic)
    db.session.flush()
    db.session.add(TopicVote(topic_id=topic.id, member_id=people["voter"].id))
    schedule_topic(topic, call)
    db.session.commit()
    return call, topic, people


def _cancel(call, deliver_mail):
    rescheduling.cancel_call(call, "The speaker is ill")
    db.session.commit()
    return deliver_mail()


def test_host_brings_a_cancelled_call_back_and_everyone_told_of_the_cancellation_hears(
    world, client_for, deliver_mail
):
    call, topic, people = world
    cancelled = _cancel(call, deliver_mail)
    heard_cancel = {m["To"].addresses[0].addr_spec for m in cancelled}
    db.session.refresh(topic)
    assert topic.status == TopicStatus.OPEN and topic.call_id is None  # given back

    host = client_for(people["host"])
    page = host.get(f"/calls/{call.id}").get_data(as_text=True)
    assert f"/calls/{call.id}/reinstate" in page
    form = host.get(f"/calls/{call.id}/reinstate").get_data(as_text=True)
    assert "Bring the call back" in form and "3 people who answered" in form
    assert "Its topic, “Open data policy”, comes back with it." in form
    response = host.post(f"/calls/{call.id}/reinstate", follow_redirects=True)
    assert "The call is back on" in response.get_data(as_text=True)

    db.session.expire_all()
    assert call.status == CallStatus.SCHEDULED and call.cancel_reason is None
    assert topic.status == TopicStatus.SCHEDULED and topic.call_id == call.id
    assert call.title == "Open data policy"

    messages = deliver_mail()
    by_address = {}
    for m in messages:
        by_address.setdefault(m["To"].addresses[0].addr_spec, []).append(m)
    assert set(by_address) == heard_cancel  # the same people, ...
    assert all(len(ms) == 1 for ms in by_address.values())  # ... once each
    cancel_of = {m["To"].addresses[0].addr_spec: m for m in cancelled}
    for who in ("yes", "maybe"):
        [mail] = by_address[people[who].email]
        assert _method(mail) == REQUEST
        assert _sequence(mail) > _sequence(cancel_of[people[who].email])
        assert "Call back on" in mail["Subject"]
    assert _method(by_address[people["no"].email][0]) is None
    assert "change your answer" in body_of(by_address[people["no"].email][0])
    for who in ("proposer", "voter"):
        body = body_of(by_address[people[who].email][0])
        assert "The call is back on, and your topic with it." in body
    assert "is back on" in body_of(by_address[people["host"].email][0])
    assert people["bystander"].email not in by_address

    action = db.session.scalar(
        select(Action).where(Action.call_id == call.id, Action.kind == ActionKind.CALL_REINSTATED)
    )
    assert action.actor_id == people["host"].id and action.topic_id == topic.id
    page = client_for(people["admin"]).get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Brought back by Hana Host" in page  # the call's history, as admins read it


def test_the_feeds_show_the_call_again(world, client, deliver_mail):
    call, _topic, _people = world
    _cancel(call, deliver_mail)
    feed = client.get("/calendar/public.ics").get_data(as_text=True)
    assert "STATUS:CANCELLED" in feed
    rescheduling.bring_back(call)
    db.session.commit()
    feed = client.get("/calendar/public.ics").get_data(as_text=True)
    partner = client.get(f"/calendar/partners/{call.host_organisation.slug}.ics")
    assert "STATUS:CANCELLED" not in feed and "Open data policy" in feed
    assert "STATUS:CANCELLED" not in partner.get_data(as_text=True)
    assert f"SEQUENCE:{call.revision}" in feed


@pytest.mark.parametrize(("who", "status"), [("admin", 302), ("other_host", 403), ("yes", 403)])
def test_who_may_bring_a_call_back(world, client, client_for, deliver_mail, who, status):
    call, _topic, people = world
    _cancel(call, deliver_mail)
    assert client.post(f"/calls/{call.id}/reinstate").status_code == 302  # signs in first
    response = client_for(people[who]).post(f"/calls/{call.id}/reinstate")
    assert response.status_code == status
    db.session.refresh(call)
    assert call.is_cancelled == (status != 302)
    if status == 403:
        page = client_for(people[who]).get(f"/calls/{call.id}").get_data(as_text=True)
        assert "/reinstate" not in page


def test_a_call_whose_time_has_passed_stays_cancelled(
    make_call, make_member, client_for, deliver_mail
):
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    call = make_call(starts_at=soon)
    admin = make_member("admin")
    _cancel(call, deliver_mail)
    later = soon + timedelta(minutes=5)
    with pytest.raises(rescheduling.CallError, match="time has passed"):
        rescheduling.bring_back(call, now=later)
    db.session.rollback()
    # Through the page, once the time has passed: a clear message, no button, nothing changed.
    call.starts_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    db.session.commit()
    page = client_for(admin).get(f"/calls/{call.id}/reinstate").get_data(as_text=True)
    assert "time has passed" in page and 'type="submit"' not in page.split("<main")[1]
    response = client_for(admin).post(f"/calls/{call.id}/reinstate")
    assert response.status_code == 200 and "Nothing has changed." in response.get_data(as_text=True)
    db.session.refresh(call)
    assert call.is_cancelled
    assert not deliver_mail()


def test_a_call_that_would_clash_stays_cancelled_and_names_the_other_call(
    make_series, make_call, make_member, client_for, deliver_mail
):
    series = make_series()
    call = make_call(series=series)
    admin = make_member("admin")
    _cancel(call, deliver_mail)
    # Another call now takes the same afternoon (another series, overlapping).
    other = make_call(starts_at=call.starts_at + timedelta(minutes=30), title="Budget clinic")
    revision = call.revision
    response = client_for(admin).post(f"/calls/{call.id}/reinstate")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "clashes with Budget clinic" in text and f"/calls/{other.id}" in text
    db.session.refresh(call)
    assert call.is_cancelled and call.revision == revision
    assert not deliver_mail()
    # Once the other call moves away, the call comes back.
    rescheduling.move_call(other, other.starts_at + timedelta(days=1), 60)
    db.session.commit()
    deliver_mail()
    assert client_for(admin).post(f"/calls/{call.id}/reinstate").status_code == 302
    db.session.refresh(call)
    assert call.status == CallStatus.SCHEDULED


def test_a_call_cancelled_by_a_skipped_date_comes_back_through_the_series(
    make_call, make_member, client_for, deliver_mail
):
    call = make_call()
    _cancel(call, deliver_mail)
    db.session.add(
        SkippedCall(
            series_id=call.series_id, call_id=call.id, organisation_id=call.host_organisation_id
        )
    )
    db.session.commit()
    page = client_for(make_member("admin")).post(f"/calls/{call.id}/reinstate")
    assert "skipped dates" in page.get_data(as_text=True)
    db.session.refresh(call)
    assert call.is_cancelled


def test_a_call_not_cancelled_has_nothing_to_bring_back(world, client_for):
    call, _topic, people = world
    response = client_for(people["host"]).get(f"/calls/{call.id}/reinstate")
    assert response.status_code == 302
    response = client_for(people["host"]).post(f"/calls/{call.id}/reinstate", follow_redirects=True)
    assert "This call is not cancelled." in response.get_data(as_text=True)


def test_a_topic_chosen_elsewhere_meanwhile_stays_there(world, make_call, deliver_mail, client_for):
    call, topic, people = world
    _cancel(call, deliver_mail)
    elsewhere = make_call(series=call.series, starts_at=call.starts_at + timedelta(days=14))
    schedule_topic(topic, elsewhere)
    db.session.commit()
    deliver_mail()
    form = client_for(people["admin"]).get(f"/calls/{call.id}/reinstate").get_data(as_text=True)
    assert "does not come back with it: the topic is on another call now" in form
    rescheduling.bring_back(call)
    db.session.commit()
    db.session.expire_all()
    assert topic.call_id == elsewhere.id and call.title is None
    page = client_for(people["yes"]).get(f"/calls/{call.id}").get_data(as_text=True)
    assert "No topic is chosen yet" in page
    told = {m["To"].addresses[0].addr_spec: m for m in deliver_mail()}
    assert "chosen for another call" in body_of(told[people["proposer"].email])


def test_outbox_holds_nothing_when_the_reinstatement_is_refused(world, client_for, deliver_mail):
    call, _topic, people = world
    _cancel(call, deliver_mail)
    queued = db.session.scalar(select(db.func.count(OutboxMessage.id)))
    call.starts_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    client_for(people["host"]).post(f"/calls/{call.id}/reinstate")
    assert db.session.scalar(select(db.func.count(OutboxMessage.id))) == queued
