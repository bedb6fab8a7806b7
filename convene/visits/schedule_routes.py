"""A scheduled visit's people, itinerary, move and cancellation, and its calendar file.

Registered on the visits blueprint (routes.py imports this module). Only the champions of
the visit's cities and admins act here (permissions.can_change_visit); champions name and
take off people of their own city only (participants.py). The visit page includes the
sections (`_participants.html`, `_itinerary.html`), whose forms `visit_schedule_panel`
gives it.
"""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from convene.accounts.models import Member
from convene.calendar.feeds import FeedHeader, build_calendar
from convene.calendar.publishing import download_response
from convene.calendar.sources import uid_domain
from convene.calendar.visit_events import (
    itinerary_item_event,
    sorted_items,
    visit_event,
)
from convene.extensions import db
from convene.forms import Form
from convene.visits import changes, itinerary, participants
from convene.visits.models import ItineraryItem, Visit, VisitStatus
from convene.visits.permissions import can_change_visit, can_view_visit
from convene.visits.routes import bp
from convene.visits.scheduling_forms import (
    CancelVisitForm,
    ItineraryItemForm,
    MoveVisitForm,
    NamePersonForm,
    ReinstateVisitForm,
)
from convene.zones import zone_label

# The item form's fields are named item-title, item-day...: the visit page holds other forms.
ITEM = "item"
FILE_STATUSES = (VisitStatus.APPROVED, VisitStatus.HELD, VisitStatus.CANCELLED)


def _visit_page(visit: Visit, anchor: str = "") -> str:
    return url_for("visits.visit", visit_id=visit.id) + (f"#{anchor}" if anchor else "")


def _visit_for_change(visit_id: int) -> Visit:
    """The visit, locked for the change, if the signed-in member may change it."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        abort(404)
    if not can_change_visit(current_user, visit):
        abort(403 if can_view_visit(current_user, visit) else 404)
    if request.method == "POST":
        visit = changes.lock_visit(visit_id)
        if visit is None:
            abort(404)
    return visit


def _person_choices(visit: Visit) -> list[tuple[int, str]]:
    people = participants.candidates(current_user, visit)
    return [(m.id, f"{m.name} ({m.organisation.name})") for m in people]


def visit_schedule_panel(visit: Visit) -> dict:
    """What the visit page's people and itinerary sections need for the signed-in member
    (worked out once per request: three sections ask)."""
    panels = request.__dict__.setdefault("visit_schedule_panels", {})
    if visit.id not in panels:
        panels[visit.id] = _panel(visit)
    return panels[visit.id]


def _panel(visit: Visit) -> dict:
    may_change = can_change_visit(current_user, visit)
    name_form = None
    if may_change and participants.can_name_people(current_user, visit):
        name_form = NamePersonForm(formdata=None)
        name_form.member_id.choices = _person_choices(visit)
    item_form = None
    if may_change and visit.status in itinerary.OPEN_STATUSES:
        item_form = ItineraryItemForm(formdata=None, prefix=ITEM)
        item_form.day.data = visit.starts_on
    return {
        "people": participants.by_side(visit),
        "name_form": name_form,
        "removable": set(participants.cities_for(current_user, visit))
        if may_change and visit.status in participants.OPEN_STATUSES
        else set(),
        "itinerary_items": sorted_items(visit),
        "item_form": item_form,
        "can_edit_items": item_form is not None,
        "can_move": may_change and visit.status in changes.MOVABLE,
        "can_cancel": may_change and visit.status in changes.CANCELLABLE,
        "can_reinstate": may_change
        and visit.status == VisitStatus.CANCELLED
        and visit.approved_at is not None,
        "zone_label": zone_label(visit.zone),
        "has_file": visit.approved_at is not None and visit.status in FILE_STATUSES,
        "button_form": Form(formdata=None),
    }


bp.add_app_template_global(visit_schedule_panel)


# --- people ---------------------------------------------------------------------------------


@bp.route("/visits/<int:visit_id>/people", methods=["GET", "POST"])
@login_required
def visit_people(visit_id: int):
    visit = _visit_for_change(visit_id)
    form = NamePersonForm()
    form.member_id.choices = _person_choices(visit)
    if request.method == "POST" and form.validate_on_submit():
        member = db.session.get(Member, form.member_id.data)
        try:
            participants.name_person(visit, member, current_user)
            db.session.commit()
        except participants.ParticipantError as exc:
            db.session.rollback()
            form.member_id.errors.append(str(exc))
        except IntegrityError:  # named at the same moment by someone else
            db.session.rollback()
            form.member_id.errors.append("They were named meanwhile; reload the page.")
        else:
            flash(f"{member.name} is named on the visit and sent an invitation.", "success")
            return redirect(_visit_page(visit, "people"))
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and not form.member_id.errors and not form.errors:
        form.member_id.errors.append("Choose someone.")
    return render_template("visits/people_form.html", visit=visit, form=form), status


@bp.route("/visits/<int:visit_id>/people/<int:member_id>/remove", methods=["POST"])
@login_required
def remove_visit_person(visit_id: int, member_id: int):
    visit = _visit_for_change(visit_id)
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404)
    if not Form().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(_visit_page(visit, "people"))
    try:
        participants.remove_person(visit, member, current_user)
        db.session.commit()
    except participants.ParticipantError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"{member.name} is off the visit and sent a cancellation.", "success")
    return redirect(_visit_page(visit, "people"))


# --- itinerary ------------------------------------------------------------------------------


def _item_of(visit: Visit, item_id: int) -> ItineraryItem:
    item = db.session.get(ItineraryItem, item_id)
    if item is None or item.visit_id != visit.id:
        abort(404)
    return item


def _item_input(form: ItineraryItemForm) -> itinerary.ItemInput:
    return itinerary.ItemInput(
        day=form.day.data,
        starts=form.starts.data,
        ends=form.ends.data,
        title=form.title.data,
        place=form.place.data,
        notes=form.notes.data,
    )


@bp.route("/visits/<int:visit_id>/itinerary/new", methods=["GET", "POST"])
@bp.route("/visits/<int:visit_id>/itinerary/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def visit_itinerary_item(visit_id: int, item_id: int | None = None):
    visit = _visit_for_change(visit_id)
    item = _item_of(visit, item_id) if item_id is not None else None
    form = ItineraryItemForm(obj=item, prefix=ITEM)
    if request.method == "GET":
        if item is not None:
            form.day.data, form.starts.data, form.ends.data = itinerary.local_parts(
                item, visit.zone
            )
        else:
            form.day.data = visit.starts_on
    problem = None
    if form.validate_on_submit():
        try:
            if item is None:
                item = itinerary.add_item(visit, _item_input(form), current_user)
                said = f"“{item.title}” is on the itinerary; the people named are told."
            elif itinerary.edit_item(item, _item_input(form), current_user):
                said = f"“{item.title}” is saved; the people named are told."
            else:
                said = "Nothing changed."
            db.session.commit()
        except itinerary.ItineraryError as exc:
            db.session.rollback()
            target = getattr(form, exc.field, None) if exc.field else None
            if target is not None:
                target.errors.append(str(exc))
            else:
                problem = str(exc)
        else:
            flash(said, "success")
            return redirect(_visit_page(visit, "itinerary"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "visits/itinerary_form.html",
        visit=visit,
        item=item,
        form=form,
        problem=problem,
        zone_label=zone_label(visit.zone),
    ), status


@bp.route("/visits/<int:visit_id>/itinerary/<int:item_id>/remove", methods=["POST"])
@login_required
def remove_visit_itinerary_item(visit_id: int, item_id: int):
    visit = _visit_for_change(visit_id)
    item = _item_of(visit, item_id)
    if not Form().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(_visit_page(visit, "itinerary"))
    title = item.title
    try:
        itinerary.remove_item(item, current_user)
        db.session.commit()
    except itinerary.ItineraryError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"“{title}” is off the itinerary; the people named are told.", "success")
    return redirect(_visit_page(visit, "itinerary"))


# --- moving and cancelling ------------------------------------------------------------------


@bp.route("/visits/<int:visit_id>/move", methods=["GET", "POST"])
@login_required
def move_visit(visit_id: int):
    visit = _visit_for_change(visit_id)
    form = MoveVisitForm()
    if request.method == "GET":
        form.starts_on.data, form.ends_on.data = visit.starts_on, visit.ends_on
    problem = None
    if form.validate_on_submit():
        try:
            changes.move_visit(
                visit, form.starts_on.data, form.ends_on.data, current_user, date.today()
            )
            db.session.commit()
        except changes.VisitChangeError as exc:
            db.session.rollback()
            target = getattr(form, exc.field, None) if exc.field else None
            if target is not None:
                target.errors.append(str(exc))
            else:
                problem = str(exc)
        else:
            flash("The visit is moved; its people and its cities' champions are told.", "success")
            return redirect(_visit_page(visit))
    status = 400 if request.method == "POST" else 200
    return render_template("visits/move_form.html", visit=visit, form=form, problem=problem), status


@bp.route("/visits/<int:visit_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_visit(visit_id: int):
    visit = _visit_for_change(visit_id)
    form = CancelVisitForm()
    problem = None
    if form.validate_on_submit():
        try:
            changes.cancel_visit(visit, form.reason.data, current_user)
            db.session.commit()
        except changes.VisitChangeError as exc:
            db.session.rollback()
            if exc.field == "reason":
                form.reason.errors.append(str(exc))
            else:
                problem = str(exc)
        else:
            flash(
                "The visit is cancelled; its people and its cities' champions are told.",
                "success",
            )
            return redirect(_visit_page(visit))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "visits/cancel_form.html", visit=visit, form=form, problem=problem
    ), status


@bp.route("/visits/<int:visit_id>/reinstate", methods=["GET", "POST"])
@login_required
def reinstate_visit(visit_id: int):
    visit = _visit_for_change(visit_id)
    form = ReinstateVisitForm()
    problem = None
    if form.validate_on_submit():
        try:
            changes.reinstate_visit(visit, current_user, date.today())
            db.session.commit()
        except changes.VisitChangeError as exc:
            db.session.rollback()
            problem = str(exc)
        else:
            flash("The visit is back on; its people and its cities' champions are told.", "success")
            return redirect(_visit_page(visit))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "visits/reinstate_form.html", visit=visit, form=form, problem=problem
    ), status


# --- the calendar file ----------------------------------------------------------------------


@bp.route("/visits/<int:visit_id>/visit.ics")
@login_required
def visit_ics(visit_id: int):
    """The visit and its itinerary as one file, for those who may see it."""
    visit = db.session.get(Visit, visit_id)
    if visit is None or not can_view_visit(current_user, visit):
        abort(404)
    if visit.approved_at is None or visit.status not in FILE_STATUSES:
        abort(404)
    events = [visit_event(visit, True)]
    events += [itinerary_item_event(item, visit) for item in sorted_items(visit)]
    header = FeedHeader(
        name=None, uid=f"visit-{visit.id}-download@{uid_domain()}", method="PUBLISH"
    )
    body = build_calendar(header, [e for e in events if e is not None]).to_ical()
    return download_response(body, f"visit-{visit.id}.ics")
