from datetime import UTC, datetime, timedelta

import pytest

from convene.convenings.errors import CallError
from convene.convenings.models import CallStatus, RsvpAnswer
from convene.convenings.rescheduling import cancel_call, move_call, reassign_host
from convene.convenings.rsvps import answer_rsvp
from convene.extensions import db
from tests.conftest import body_of


@pytest.fixture
def answered_call(make_call, make_member):
    call = make_call(title="Performance dashboards")
    people = [make_member(zone="America/Phoenix"), make_member(), make_member()]
    for person, answer in zip(people, ["yes", "maybe", "no"], strict=True):
        answer_rsvp(call, person, answer)
    db.session.commit()
    return call, people


def test_move_keeps_identity_bumps_revision_and_tells_everyone_who_answered(
    answered_call, make_member, deliver_mail
):
    call, people = answered_call
    bystander = make_member()
    deliver_mail()  # the RSVP confirmations
    call_id, revision, old_start = call.id, call.revision, call.starts_at
    new_start = old_start + timedelta(days=1, hours=2)
    assert move_call(call, new_start, 90) == old_start
    db.session.commit()
    assert call.id == call_id and call.revision == revision + 1
    assert call.status == CallStatus.MOVED and call.is_time_by_hand
    assert call.starts_at == new_start and call.duration_minutes == 90
    messages = deliver_mail()
    recipients = sorted(m["To"] for m in messages)
    assert recipients == sorted(p.email for p in people)  # yes, maybe and no alike
    assert bystander.email not in recipients
    phoenix = next(m for m in messages if m["To"] == people[0].email)
    local = new_start.astimezone(__import__("zoneinfo").ZoneInfo("America/Phoenix"))
    assert f"{local:%H:%M} MST" in body_of(phoenix)
    assert "Call moved" in phoenix["Subject"]


def test_move_refuses_the_past_and_unchanged_times(make_call):
    call = make_call()
    with pytest.raises(CallError, match="passed"):
        move_call(call, datetime.now(UTC) - timedelta(hours=1), 60)
    with pytest.raises(CallError, match="nothing to change"):
        move_call(call, call.starts_at, call.duration_minutes)
    assert call.revision == 0 and call.status == CallStatus.SCHEDULED


def test_cancel_needs_a_reason_stays_visible_and_emails(answered_call, deliver_mail):
    call, people = answered_call
    deliver_mail()
    with pytest.raises(CallError, match="reason"):
        cancel_call(call, "  ")
    cancel_call(call, "Clashes with the summit")
    db.session.commit()
    assert call.status == CallStatus.CANCELLED and call.revision == 1
    messages = deliver_mail()
    assert len(messages) == 3
    assert all("Clashes with the summit" in body_of(m) for m in messages)
    with pytest.raises(CallError, match="cancelled"):
        move_call(call, call.starts_at + timedelta(days=1), 60)


def test_started_calls_cannot_be_moved(make_call):
    call = make_call(starts_at=datetime.now(UTC) - timedelta(minutes=5))
    with pytest.raises(CallError, match="started"):
        move_call(call, datetime.now(UTC) + timedelta(days=1), 60)


def test_admin_reassigns_host_and_both_partners_hear(
    make_call, make_org, make_member, deliver_mail
):
    call = make_call()
    old_host = make_member("host", organisation=call.host_organisation)
    new_partner = make_org("partner")
    new_host = make_member("host", organisation=new_partner)
    reassign_host(call, new_partner)
    db.session.commit()
    assert call.host_organisation_id == new_partner.id and call.is_host_by_hand
    assert call.revision == 1
    assert sorted(m["To"] for m in deliver_mail()) == sorted([old_host.email, new_host.email])


def test_reassign_refuses_a_city(make_call, make_org):
    call = make_call()
    with pytest.raises(CallError, match="partner"):
        reassign_host(call, make_org("city"))
    assert call.revision == 0


def test_rsvps_survive_a_move(answered_call):
    call, _people = answered_call
    move_call(call, call.starts_at + timedelta(hours=1), 60)
    db.session.commit()
    assert sorted(r.answer for r in call.rsvps) == sorted(
        [RsvpAnswer.YES, RsvpAnswer.MAYBE, RsvpAnswer.NO]
    )
