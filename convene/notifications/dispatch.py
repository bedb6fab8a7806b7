"""The one dispatcher: an action in, its mail in the outbox (same transaction).

It reads the who-hears-what table for the action's kind, asks each audience for its
members, tells each member once (the first audience that names them wins), and queues one
message per person (or per item, for rows that send one event per message), each with its
invitation when the row has a calendar method.
"""

import logging
from datetime import datetime

from convene.accounts.models import Member, Organisation
from convene.convenings.models import Rsvp, SwapRequest
from convene.extensions import db
from convene.history.models import Action
from convene.notifications.outbox import queue_email
from convene.notifications.who_hears_what import TABLE
from convene.summit.models import SessionSlot, SessionTable
from convene.topics.models import Topic
from convene.urls import external_url
from convene.zones import format_instant, member_zone_name

log = logging.getLogger(__name__)


def _instant(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _get(model, row_id):
    return db.session.get(model, row_id) if row_id else None


def _links(context: dict) -> dict:
    """Every page a mail may link to, for what this action is about."""
    links = {"hosting": external_url("convenings.host_dashboard")}
    if (call := context.get("call")) is not None:
        links["call"] = external_url("convenings.call", call_id=call.id)
    if (topic := context.get("call_topic")) is not None:
        links["topic"] = external_url("topics.topic", topic_id=topic.id)
    if (merged_into := context.get("merged_into")) is not None:
        links["merged_into"] = external_url("topics.topic", topic_id=merged_into.id)
    if (summit := context.get("summit")) is not None:
        links["summit"] = external_url("summit.show", slug=summit.slug)
        links["agenda"] = external_url("summit.my_agenda", slug=summit.slug)
        if (item := context.get("item")) is not None:
            links["item"] = links["summit"] + f"#item-{item.id}"
    if (visit := context.get("visit")) is not None:
        links["visit"] = external_url("visits.visit", visit_id=visit.id)
        if slug := context["details"].get("report_city"):
            links["report"] = external_url("visits.report", visit_id=visit.id, slug=slug)
    return links


def context_for(action: Action) -> dict:
    """What every template of this action may use (the Topic is `call_topic`: `topic` is
    the kind of mail to queue_email)."""
    before, after, details = action.before or {}, action.after or {}, action.details or {}
    registration = action.registration
    summit = action.summit or (registration.summit if registration is not None else None)
    swap = _get(SwapRequest, details.get("swap_id"))
    context = {
        "action": action,
        # Who made the change, unless it is the person it concerns: they know.
        "actor": action.actor if action.actor_id not in (None, action.member_id) else None,
        "before": before,
        "after": after,
        "details": details,
        "call": action.call,
        "call_topic": action.topic,
        "registration": registration,
        "summit": summit,
        "session": action.social_session,
        "item": action.agenda_item,
        "previous": action.former_member,
        "position": details.get("position"),
        "previous_start": _instant(before.get("starts_at")),
        "previous_duration": before.get("duration_minutes"),
        "previous_host": _get(Organisation, before.get("host_id")),
        "slot": _get(SessionSlot, details.get("slot_id")),
        "table": _get(SessionTable, after.get("table_id")),
        "previous_table": _get(SessionTable, before.get("table_id")),
        "merged_into": _get(Topic, after.get("merged_into_id")),
        "swap": swap,
        "verb": details.get("verb"),
        "visit": action.visit,
        "_events": {},  # events built once per action, shared by its messages
    }
    if swap is not None:
        context["call_link"] = external_url("convenings.call", call_id=swap.call_id)
        context["other_link"] = external_url("convenings.call", call_id=swap.other_call_id)
    if action.call_id is not None and action.member_id is not None:
        context["rsvp"] = db.session.scalar(
            db.select(Rsvp).where(
                Rsvp.call_id == action.call_id, Rsvp.member_id == action.member_id
            )
        )
    context["links"] = _links(context)
    context["topic_url"] = context["links"].get("topic")
    context["call_url"] = context["links"].get("call")
    return context


def _for_member(context: dict, member: Member) -> dict:
    zone = member_zone_name(member)
    call, topic = context.get("call"), context.get("call_topic")
    return {
        "member": member,
        "zone": zone,
        "is_proposer": topic is not None and topic.proposer_id == member.id,
        "when": format_instant(call.starts_at, zone) if call is not None else None,
        "call_date": format_instant(call.starts_at, zone, "date") if call is not None else None,
    }


def _subject(told, context: dict, action: Action) -> str:
    try:
        return told.subject.format(**context)
    except Exception:  # a subject never stops the mail
        log.exception("mail: subject of %s for action %s", told.template, action.id)
        return f"Convene: {action.kind.value}"


def dispatch(action: Action) -> list:
    """Queue the mail for one action; returns the outbox messages queued (optional mail a
    member takes in a digest, or not at all, is left to queue_email)."""
    context = context_for(action)
    told_ids: set[int] = set()
    messages = []
    for told in TABLE[action.kind]:
        for member in told.audience(action):
            if member.id in told_ids or not member.active:
                continue
            told_ids.add(member.id)
            letters = told.each(action, member) if told.each is not None else [{}]
            for letter in letters:
                mail = context | _for_member(context, member) | told.extra | letter
                mail["link"] = mail["url"] = context["links"].get(told.link)
                attachment = None
                if told.calendar is not None and told.invitation is not None:
                    attachment = told.invitation(action, member, mail, told.calendar)
                message = queue_email(
                    member.email,
                    _subject(told, mail, action),
                    told.template,
                    attachments=(attachment,),
                    topic=told.topic,
                    **{k: v for k, v in mail.items() if not k.startswith("_")},
                )
                if message is not None:  # None: held for a digest, or not wanted
                    messages.append(message)
    if messages:
        db.session.flush()
        action.message_ids = [m.id for m in messages]
    return messages
