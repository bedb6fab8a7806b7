import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from convene.convenings.errors import CallError
from convene.convenings.models import CallStatus, Rsvp, RsvpAnswer
from convene.convenings.rsvps import answer_rsvp
from convene.extensions import db
from convene.notifications.models import OutboxMessage
from tests.conftest import body_of


def _outbox_to(address):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)).all()


def test_one_answer_per_member_and_call_in_the_database(make_call, make_member):
    call, member = make_call(), make_member()
    db.session.add(Rsvp(call=call, member=member, answer=RsvpAnswer.YES))
    db.session.commit()
    db.session.add(Rsvp(call=call, member=member, answer=RsvpAnswer.NO))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_answer_then_change_it_keeps_one_row(make_call, make_member):
    call, member = make_call(), make_member()
    answer_rsvp(call, member, "yes")
    answer_rsvp(call, member, "no")
    db.session.commit()
    rows = db.session.scalars(select(Rsvp).where(Rsvp.call_id == call.id)).all()
    assert [(r.member_id, r.answer) for r in rows] == [(member.id, RsvpAnswer.NO)]


def test_yes_and_maybe_are_confirmed_by_mail_no_is_not(make_call, make_member, deliver_mail):
    call = make_call(title="Open data policy")
    yes, no = make_member(zone="America/Phoenix"), make_member()
    answer_rsvp(call, yes, "yes")
    answer_rsvp(call, no, "no")
    answer_rsvp(call, yes, "yes")  # the same answer again: no second mail
    db.session.commit()
    assert len(_outbox_to(yes.email)) == 1 and _outbox_to(no.email) == []
    [message] = deliver_mail()
    assert "Open data policy" in message["Subject"]
    body = body_of(message)
    assert "MST (America/Phoenix)" in body and "https://meet.example.org/network" in body


def test_answers_close_when_the_call_starts(make_call, make_member):
    call, member = make_call(), make_member()
    answer_rsvp(call, member, "yes")
    with pytest.raises(CallError, match="has started"):
        answer_rsvp(call, member, "no", now=call.starts_at)
    assert db.session.scalar(select(Rsvp.answer).where(Rsvp.call_id == call.id)) == "yes"


def test_a_cancelled_call_takes_no_answers(make_call, make_member):
    call = make_call(status=CallStatus.CANCELLED, cancel_reason="Holiday")
    with pytest.raises(CallError, match="cancelled"):
        answer_rsvp(call, make_member(), "yes")


@pytest.mark.postgres_only
def test_simultaneous_answers_from_one_member_leave_one_row(make_app, make_call, make_member):
    call, member = make_call(), make_member()
    call_id, member_id = call.id, member.id
    barrier = threading.Barrier(6)
    errors = []

    def run(answer):
        app = make_app()
        with app.app_context():
            try:
                from convene.accounts.models import Member
                from convene.convenings.models import Call

                barrier.wait()
                answer_rsvp(
                    db.session.get(Call, call_id), db.session.get(Member, member_id), answer
                )
                db.session.commit()
            except Exception as exc:  # recorded for the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in ["yes", "no", "maybe"] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    count = db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.call_id == call_id))
    assert count == 1


def test_rsvp_refused_after_start_even_a_second_later(make_call, make_member):
    start = datetime.now(UTC) + timedelta(days=1)
    call, member = make_call(starts_at=start), make_member()
    answer_rsvp(call, member, "maybe", now=start - timedelta(seconds=1))
    with pytest.raises(CallError):
        answer_rsvp(call, member, "yes", now=start + timedelta(seconds=1))
