from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from convene.accounts.models import Role
from convene.accounts.permissions import role_required
from convene.calendar import directory
from convene.calendar.events import FeedEvent
from convene.calendar.feeds import event_file
from convene.calendar.forms import PreferencesForm, RegenerateForm
from convene.calendar.invitations import call_event
from convene.calendar.models import CalendarSubscription, Reminder
from convene.calendar.publishing import (
    download_response,
    feed_response,
    partner_feed,
    personal_feed,
    public_feed,
    summit_feed,
)
from convene.calendar.sources import uid_domain
from convene.calendar.subscriptions import regenerate_token, set_preferences, subscription_for
from convene.convenings.permissions import can_see_join_details
from convene.extensions import db
from convene.urls import external_url

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


# --- feeds (GET and HEAD; no sign-in: calendar clients carry no cookies) -------------------


@bp.get("/public.ics")
def public():
    return feed_response(("public",), public_feed)


@bp.get("/me/<token>.ics")
def personal(token: str):
    return feed_response(("member", token), lambda: personal_feed(token))


@bp.get("/partners/<slug>.ics")
def partner(slug: str):
    return feed_response(("partner", slug), lambda: partner_feed(slug))


@bp.get("/summits/<int:summit_id>.ics")
def summit(summit_id: int):
    return feed_response(("summit", summit_id), lambda: summit_feed(summit_id))


def _download(event: FeedEvent | None, filename: str):
    """One event as a file; without the event (logged) if it cannot be written."""
    uid = f"download-{event.uid}" if event else f"download-{filename}@{uid_domain()}"
    return download_response(event_file(event, uid=uid).to_ical(), filename)


@bp.get("/calls/<int:call_id>.ics")
def call_download(call_id: int):
    """One call as a file to open or import (join details for signed-in members)."""
    event = call_event(call_id, with_join_details=can_see_join_details(current_user))
    if event is None:
        abort(404)
    return _download(event, f"call-{call_id}.ics")


@bp.get("/agenda/<int:item_id>.ics")
def agenda_item_download(item_id: int):
    """One summit agenda item as a file (items off the public agenda: members only)."""
    from convene.calendar.summit_events import agenda_item_event
    from convene.summit.models import AgendaItem

    item = db.session.get(AgendaItem, item_id)
    if item is None or not (item.is_public or current_user.is_authenticated):
        abort(404)
    return _download(agenda_item_event(item, item.summit), f"agenda-item-{item_id}.ics")


@bp.get("/summits/<int:summit_id>/days.ics")
def summit_days_download(summit_id: int):
    """The summit's days as one all-day event, to import once."""
    from convene.calendar.summit_events import summit_event
    from convene.summit.models import Summit

    summit = db.session.get(Summit, summit_id)
    if summit is None:
        abort(404)
    return _download(summit_event(summit), f"summit-{summit_id}.ics")


@bp.app_template_global()
def feed_url(endpoint: str, **values) -> str:
    """A feed's https:// address, to paste into Google Calendar or Outlook on the web."""
    return external_url(endpoint, **values)


@bp.app_template_global()
def webcal_url(endpoint: str, **values) -> str:
    """A feed's address for calendar apps: webcal:// opens the subscribe dialog."""
    return "webcal://" + external_url(endpoint, **values).split("://", 1)[1]


@bp.app_template_global()
def agenda_item_calendar_event(item):
    """For agenda pages: the item as feeds show it (no query: its summit is loaded), or
    None if it cannot be shown as an event."""
    from convene.calendar.summit_events import agenda_item_event

    return agenda_item_event(item, item.summit)


@bp.app_template_global()
def summit_calendar_event(summit):
    from convene.calendar.summit_events import summit_event

    return summit_event(summit)


# --- pages --------------------------------------------------------------------------------


@bp.get("")
def index():
    """Calendars: every feed anyone may subscribe to, and, for members, their own."""
    subscription = None
    if current_user.is_authenticated:
        subscription = db.session.scalar(
            select(CalendarSubscription).where(CalendarSubscription.member_id == current_user.id)
        )
    return render_template(
        "calendar/index.html",
        public=directory.public_calendar(),
        partners=directory.partner_feeds(),
        summit=directory.summit_feed(),
        subscription=subscription,
    )


# --- the member's Subscribe page -----------------------------------------------------------


@bp.get("/subscribe")
@role_required(Role.MEMBER)
def subscribe():
    subscription = subscription_for(current_user)
    db.session.commit()
    form = PreferencesForm(
        data={
            "calls": "all" if subscription.include_all_calls else "answered",
            "reminder": subscription.reminder.value,
        }
    )
    summit = directory.summit_feed()
    return render_template(
        "calendar/subscribe.html",
        subscription=subscription,
        form=form,
        regenerate_form=RegenerateForm(),
        other_feeds=[directory.public_calendar(), *([summit] if summit else [])]
        + directory.partner_feeds(),
    )


@bp.post("/subscribe/preferences")
@role_required(Role.MEMBER)
def preferences():
    form = PreferencesForm()
    if not form.validate_on_submit():
        flash("Choose which calls and a reminder, then save again.", "error")
        return redirect(url_for("calendar.subscribe"))
    set_preferences(
        subscription_for(current_user),
        include_all_calls=form.calls.data == "all",
        reminder=Reminder(form.reminder.data),
    )
    db.session.commit()
    flash("Preferences saved. Your calendar shows them at its next refresh.", "success")
    return redirect(url_for("calendar.subscribe"))


@bp.post("/subscribe/regenerate")
@role_required(Role.MEMBER)
def regenerate():
    if not RegenerateForm().validate_on_submit():
        abort(400)
    regenerate_token(subscription_for(current_user))
    db.session.commit()
    flash(
        "The old link no longer works. Subscribe again with the new one below, and remove "
        "the old subscription from your calendar.",
        "success",
    )
    return redirect(url_for("calendar.subscribe"))
