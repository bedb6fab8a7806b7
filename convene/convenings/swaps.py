"""Swapping calls between two partners: one host asks, the other partner's host answers.

The answer locks the request and both calls (SELECT ... FOR UPDATE), so two answers at once
cannot both swap, and a call that changed hands since the asking is not swapped blindly.
"""

from datetime import datetime

from sqlalchemy import or_, select

from convene.accounts.models import Member
from convene.convenings.errors import CallError
from convene.convenings.models import Call, SwapRequest, SwapStatus
from convene.convenings.permissions import can_answer_swap, can_host_call, can_withdraw_swap
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.types import utcnow


def _check_swappable(call: Call, now: datetime) -> None:
    if call.is_cancelled:
        raise CallError(f"The call of {call.slot_date:%-d %B} is cancelled.")
    if call.has_started(now):
        raise CallError(f"The call of {call.slot_date:%-d %B} has already started.")


def pending_for(call_ids: list[int]) -> list[SwapRequest]:
    if not call_ids:
        return []
    return list(
        db.session.scalars(
            select(SwapRequest).where(
                SwapRequest.status == SwapStatus.PENDING,
                or_(SwapRequest.call_id.in_(call_ids), SwapRequest.other_call_id.in_(call_ids)),
            )
        )
    )


def request_swap(
    actor: Member, call: Call, other_call: Call, message: str | None = None,
    now: datetime | None = None,
) -> SwapRequest:  # fmt: skip
    """Ask the partner hosting `other_call` to host `call` instead, and vice versa."""
    now = now or utcnow()
    if not can_host_call(actor, call):
        raise CallError("Only a host of this call's partner can offer it in a swap.")
    if other_call.host_organisation_id == call.host_organisation_id:
        raise CallError("Choose a call hosted by another partner.")
    _check_swappable(call, now)
    _check_swappable(other_call, now)
    if pending_for([call.id, other_call.id]):
        raise CallError("One of these calls already has a swap waiting for an answer.")
    swap = SwapRequest(
        call_id=call.id,
        other_call_id=other_call.id,
        from_organisation_id=call.host_organisation_id,
        to_organisation_id=other_call.host_organisation_id,
        requested_by_id=actor.id,
        message=(message or "").strip()[:500] or None,
        status=SwapStatus.PENDING,
        created_at=now,
    )
    db.session.add(swap)
    db.session.flush()
    record_action(
        ActionKind.SWAP_REQUESTED, actor, call,
        swap_id=swap.id, other_call_id=other_call.id, message=swap.message,
    )  # fmt: skip
    return swap


def _lock(swap_id: int) -> SwapRequest:
    swap = db.session.scalar(
        select(SwapRequest)
        .where(SwapRequest.id == swap_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if swap is None:
        raise CallError("That swap request no longer exists.")
    return swap


def answer_swap(
    actor: Member, swap_id: int, accept: bool, now: datetime | None = None
) -> SwapRequest:
    """Accept (the two calls trade hosts) or decline a pending request."""
    now = now or utcnow()
    swap = _lock(swap_id)
    if not can_answer_swap(actor, swap):
        raise CallError(f"Only a host of {swap.to_organisation.name} can answer this request.")
    if swap.status != SwapStatus.PENDING:
        raise CallError(f"This request was already {swap.status.value}.")
    if accept:
        calls = {
            c.id: c
            for c in db.session.scalars(
                select(Call)
                .where(Call.id.in_([swap.call_id, swap.other_call_id]))
                .order_by(Call.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
        call, other = calls[swap.call_id], calls[swap.other_call_id]
        if (call.host_organisation_id, other.host_organisation_id) != (
            swap.from_organisation_id,
            swap.to_organisation_id,
        ):
            raise CallError("One of the calls has changed hands since the request was made.")
        _check_swappable(call, now)
        _check_swappable(other, now)
        call.host_organisation_id, other.host_organisation_id = (
            other.host_organisation_id,
            call.host_organisation_id,
        )
        for changed in (call, other):
            changed.is_host_by_hand = True
            changed.bump_revision()
        db.session.flush()
        db.session.expire(call, ["host_organisation"])
        db.session.expire(other, ["host_organisation"])
        for changed, was in ((call, swap.from_organisation), (other, swap.to_organisation)):
            now_hosting = changed.host_organisation
            record_action(
                ActionKind.CALL_HOST_SWAPPED, actor, changed,
                before={"host_id": was.id, "host": was.name},
                after={"host_id": now_hosting.id, "host": now_hosting.name},
                swap_id=swap.id,
            )  # fmt: skip
    swap.status = SwapStatus.ACCEPTED if accept else SwapStatus.DECLINED
    swap.answered_by_id = actor.id
    swap.answered_at = now
    db.session.flush()
    _record_answer(actor, swap)
    return swap


def _record_answer(actor: Member, swap: SwapRequest) -> None:
    record_action(
        ActionKind.SWAP_ANSWERED, actor, swap.call,
        swap_id=swap.id, other_call_id=swap.other_call_id, verb=swap.status.value,
    )  # fmt: skip


def withdraw_swap(actor: Member, swap_id: int, now: datetime | None = None) -> SwapRequest:
    now = now or utcnow()
    swap = _lock(swap_id)
    if not can_withdraw_swap(actor, swap):
        raise CallError(f"Only a host of {swap.from_organisation.name} can withdraw this request.")
    if swap.status != SwapStatus.PENDING:
        raise CallError(f"This request was already {swap.status.value}.")
    swap.status = SwapStatus.WITHDRAWN
    swap.answered_by_id = actor.id
    swap.answered_at = now
    db.session.flush()
    _record_answer(actor, swap)
    return swap
