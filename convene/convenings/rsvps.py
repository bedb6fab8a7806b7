"""Answering a call's RSVP: one answer per member and call, changeable until it starts."""

from datetime import datetime

from sqlalchemy import select

from convene.accounts.models import Member
from convene.convenings.conflicts import insert_unless_exists
from convene.convenings.errors import CallError
from convene.convenings.models import Call, Rsvp, RsvpAnswer
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.types import utcnow


def _existing(call: Call, member: Member) -> Rsvp | None:
    return db.session.scalar(
        select(Rsvp).where(Rsvp.call_id == call.id, Rsvp.member_id == member.id)
    )


def answer_rsvp(
    call: Call, member: Member, answer: RsvpAnswer | str, now: datetime | None = None
) -> Rsvp:
    """Record or change the member's answer; a yes or maybe gets a confirmation by mail.

    Two answers at once from the same member are settled by the unique constraint: the
    losing insert does nothing, and its answer then updates the winner's row.
    """
    now = now or utcnow()
    answer = RsvpAnswer(answer)
    if call.is_cancelled:
        raise CallError("This call is cancelled: there is nothing to answer.")
    if call.has_started(now):
        raise CallError("This call has started: answers can no longer be changed.")
    rsvp = _existing(call, member)
    previous = rsvp.answer if rsvp is not None else None
    if rsvp is None:
        values = {"call_id": call.id, "member_id": member.id, "answer": answer, "answered_at": now}
        inserted = insert_unless_exists(Rsvp, values, ["call_id", "member_id"])
        rsvp = _existing(call, member)
        if inserted:
            _record(rsvp, None)
            return rsvp
        previous = rsvp.answer  # another request answered first: this answer replaces it
    if previous == answer:
        return rsvp
    rsvp.answer = answer
    rsvp.answered_at = now
    db.session.flush()
    _record(rsvp, previous)
    return rsvp


def _record(rsvp: Rsvp, previous: RsvpAnswer | None) -> None:
    """Coming (yes or maybe) and not coming are two kinds: one adds the call to the
    member's calendar, the other takes it out (if it was there)."""
    kind = ActionKind.RSVP_DECLINED if rsvp.answer == RsvpAnswer.NO else ActionKind.RSVP_COMING
    record_action(
        kind, rsvp.member, rsvp.call, member=rsvp.member,
        before={"answer": previous}, after={"answer": rsvp.answer},
    )  # fmt: skip
