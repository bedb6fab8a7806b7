"""The one dispatcher: an action in, its mail in the outbox (same transaction).

It reads the who-hears-what table for the action's kind, asks each audience for its
members, tells each member once (the first audience that names them wins), and queues one
message per person (or per item, for rows that send one event per message), each with its
invitation when the row has a calendar method.

A person is told once per action whoever names them: people are told apart by address, so
an `Addressee` (someone without an account, audiences.py) counts like a member. What a mail
needs but the record must never keep (a one-time link's secret) comes in `private`, handed
over by record_action and gone with the request.
"""

import logging
from datetime import datetime

from flask import current_app

from convene.accounts.models import Member, Organisation
from convene.applications.models import Application, DecisionLetter
from convene.convenings.models import Rsvp, SwapRequest
from convene.extensions import db
from convene.history.models import Action
from convene.notifications.audiences import Addressee, meeting_of
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


def _all(model, ids) -> list:
    """The rows with these ids, in their order (one query; none for no ids)."""
    if not ids:
        return []
    found = {row.id: row for row in db.session.scalars(db.select(model).where(model.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _page(endpoint: str, **values) -> str | None:
    """A page's address, or None while no blueprint serves it."""
    if endpoint not in current_app.view_functions:
        return None
    return external_url(endpoint, **values)


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
    if given := context.get("applications"):
        links["applications"] = (
            _page("reviews.application", application_id=given[0].id)
            if len(given) == 1
            else _page("reviews.board")
        )
    if (application := context.get("application")) is not None:
        links["application"] = _page("reviews.application", application_id=application.id)
        if (city := application.organisation) is not None:
            links["city"] = _page("accounts.people", slug=city.slug)
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
        "application": _get(Application, action.application_id),
        "applications": _all(Application, details.get("applications")),
        "meeting": meeting_of(action) if action.kind.value.startswith("application.") else None,
        "letter": _get(DecisionLetter, details.get("letter_id")),
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
    if context["applications"]:
        given = context["applications"]
        context["reviewing"] = (
            given[0].city_label if len(given) == 1 else f"{len(given)} applications"
        )
    context["links"] = _links(context)
    context["topic_url"] = context["links"].get("topic")
    context["call_url"] = context["links"].get("call")
    return context


def _for_member(context: dict, member: Member | Addressee) -> dict:
    if isinstance(member, Addressee):
        zone = member.zone or current_app.config["PROGRAMME_ZONE"]
    else:
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


def dispatch(action: Action, private: dict | None = None) -> list:
    """Queue the mail for one action; returns the outbox messages queued (optional mail a
    member takes in a digest, or not at all, is left to queue_email). `private` joins the
    mail's context (and its links) without being recorded."""
    context = context_for(action)
    if private:
        context = context | private
        context["links"] = context["links"] | private.get("links", {})
    told: set[str] = set()
    messages = []
    for told_row in TABLE[action.kind]:
        for member in told_row.audience(action):
            if member.email in told or not member.active:
                continue
            told.add(member.email)
            letters = told_row.each(action, member) if told_row.each is not None else [{}]
            for letter in letters:
                mail = context | _for_member(context, member) | told_row.extra | letter
                mail["link"] = mail["url"] = context["links"].get(told_row.link)
                attachment = None
                if told_row.calendar is not None and told_row.invitation is not None:
                    attachment = told_row.invitation(action, member, mail, told_row.calendar)
                message = queue_email(
                    member.email,
                    _subject(told_row, mail, action),
                    told_row.template,
                    attachments=(attachment,),
                    topic=told_row.topic,
                    **{k: v for k, v in mail.items() if not k.startswith("_")},
                )
                if message is not None:  # None: held for a digest, or not wanted
                    messages.append(message)
    if messages:
        db.session.flush()
        action.message_ids = [m.id for m in messages]
    return messages
