"""What the host writes: the agenda before a call; notes, resources and attendance after."""

from datetime import datetime

from sqlalchemy import select

from convene.accounts.models import Member
from convene.convenings.errors import CallError
from convene.convenings.models import Attendance, Call, CallResource, CallStatus
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.text import Link, parse_link_lines
from convene.types import utcnow

Resource = Link  # a call's resource: a title and an http(s) link


def save_agenda(
    call: Call, title: str | None, agenda: str | None, actor: Member | None = None
) -> bool:
    """Set the call's title and agenda (Markdown). A new title is a change calendars see;
    either change is recorded, and sends those coming the call as it now reads."""
    if call.is_cancelled:
        raise CallError("This call is cancelled.")
    title = (title or "").strip()[:200] or None
    agenda = (agenda or "").strip() or None
    before = {"title": call.title, "agenda": call.agenda}
    call.agenda = agenda
    retitled = title != call.title
    if retitled:
        call.title = title
        call.bump_revision()
    if before != {"title": call.title, "agenda": call.agenda}:
        record_action(
            ActionKind.CALL_AGENDA_SET, actor, call,
            before=before, after={"title": call.title, "agenda": call.agenda},
        )  # fmt: skip
    return retitled


def parse_resources(text: str | None) -> list[Resource]:
    try:
        return parse_link_lines(text, "resources")
    except ValueError as exc:
        raise CallError(str(exc)) from None


def format_resources(call: Call) -> str:
    return "\n".join(f"{r.title} | {r.url}" for r in call.resources)


def record_call(
    call: Call,
    notes: str | None,
    resources: list[Resource],
    attendee_ids: list[int],
    now: datetime | None = None,
    actor: Member | None = None,
) -> None:
    """After the call: notes, resources and who attended; the call is then held (its topic
    too: the first record is an action, and tells the topic's supporters)."""
    now = now or utcnow()
    if call.is_cancelled:
        raise CallError("This call was cancelled, so there is nothing to record.")
    if not call.has_started(now):
        raise CallError("The record can be written once the call has started.")
    wanted = set(attendee_ids)
    if wanted:
        found = set(
            db.session.scalars(
                select(Member.id).where(Member.id.in_(wanted), Member.active.is_(True))
            )
        )
        if found != wanted:
            raise CallError("Some of the people ticked as attending are not active members.")
    call.notes = (notes or "").strip() or None
    call.resources.clear()
    db.session.flush()
    for position, resource in enumerate(resources):
        call.resources.append(
            CallResource(position=position, title=resource.title, url=resource.url)
        )
    current = {a.member_id: a for a in call.attendances}
    for member_id, attendance in current.items():
        if member_id not in wanted:
            call.attendances.remove(attendance)
    for member_id in sorted(wanted - current.keys()):
        call.attendances.append(Attendance(member_id=member_id, recorded_at=now))
    previous_status = call.status
    call.status = CallStatus.HELD
    if previous_status != CallStatus.HELD:
        change = {"before": {"status": previous_status}, "after": {"status": call.status}}
        held = record_action(ActionKind.CALL_HELD, actor, call, attended=len(wanted), **change)
        if held.topic_id is not None:  # the call's topic is held with it
            record_action(
                ActionKind.TOPIC_HELD, actor, call,
                before={"status": "scheduled"}, after={"status": "held"},
            )  # fmt: skip
    db.session.flush()
