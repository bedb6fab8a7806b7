"""Breakout rooms: the host's page for a call's rooms, its import file for the video call,
and the record of who was really in each room; each attendee's own room is on the call's
page (through the template helpers below)."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member
from convene.breakouts import lookup, planning
from convene.breakouts.forms import (
    BY_COUNT,
    BY_SIZE,
    PlanAgainForm,
    SetupForm,
    TurnOffForm,
    chosen_rooms,
    field_name,
    moves_form,
    presence_form,
    seen_rooms,
)
from convene.breakouts.models import BreakoutSetup, RoomPresence, RoomSeat
from convene.breakouts.permissions import can_plan_rooms, can_see_own_room
from convene.breakouts.planning import BreakoutError
from convene.breakouts.words import person, room_line, roommates
from convene.convenings import rescheduling
from convene.convenings.models import Attendance, Call, Rsvp, RsvpAnswer
from convene.csvfiles import BOM, csv_text
from convene.extensions import db
from convene.text import plural
from convene.types import utcnow
from convene.zones import localize

bp = Blueprint("breakouts", __name__)

IMPORT_HEADER = ("Pre-assign Room Name", "Email Address")
COMING = (RsvpAnswer.YES, RsvpAnswer.MAYBE)


def my_breakout_room(call: Call):
    """The signed-in member's room on this call and their roommates, or None."""
    if not can_see_own_room(current_user) or call.is_cancelled:
        return None
    return lookup.room_of(call.id, current_user.id)


def breakout_setup(call: Call) -> BreakoutSetup | None:
    return db.session.scalar(sa.select(BreakoutSetup).where(BreakoutSetup.call_id == call.id))


@bp.app_context_processor
def breakout_helpers():
    return {
        "can_plan_rooms": can_plan_rooms,
        "my_breakout_room": my_breakout_room,
        "breakout_setup": breakout_setup,
        "room_line": room_line,
        "roommates": roommates,
        "person_and_place": person,
    }


def _call_for_host(call_id: int) -> Call:
    """The call, if the signed-in member may plan its rooms; locked when the request
    changes them, so a move or cancellation of the call waits its turn."""
    call = (
        rescheduling.lock_call(call_id)
        if request.method == "POST"
        else db.session.get(Call, call_id)
    )
    if call is None:
        abort(404)
    if not can_plan_rooms(current_user, call):
        abort(403)
    return call


def _people(n: int) -> str:
    return plural(n, "person", "people")


def _back(call: Call):
    return redirect(url_for("breakouts.rooms", call_id=call.id))


# --- what the rooms page shows --------------------------------------------------------------


@dataclass
class RoomsPage:
    """Everything the host's page shows, read in a fixed number of queries."""

    setup: BreakoutSetup | None
    rooms: list  # planning.RoomView
    people: list[Member]  # everyone coming or placed, by organisation then name
    answers: dict[int, RsvpAnswer]
    placed: dict[int, int | None]  # member id -> room number
    by_hand: set[int] = field(default_factory=set)
    unplaced: list[Member] = field(default_factory=list)
    without_video_email: list[Member] = field(default_factory=list)

    @property
    def room_numbers(self) -> list[int]:
        return [view.room.number for view in self.rooms]


def _sorted(people) -> list[Member]:
    return sorted(people, key=lambda m: (m.organisation.name, m.name, m.id))


def _rooms_page(call: Call) -> RoomsPage:
    setup = breakout_setup(call)
    rsvps = db.session.scalars(
        sa.select(Rsvp)
        .where(Rsvp.call_id == call.id, Rsvp.answer.in_(COMING))
        .options(selectinload(Rsvp.member).selectinload(Member.organisation))
    ).all()
    answers = {r.member_id: r.answer for r in rsvps}
    coming = {r.member_id: r.member for r in rsvps if r.member.active}
    if setup is None:
        return RoomsPage(None, [], _sorted(coming.values()), answers, {})
    views = planning.rooms_for(call)
    placed = {m.id: view.room.number for view in views for m in view.people}
    everyone = coming | {m.id: m for view in views for m in view.people}
    by_hand = set(
        db.session.scalars(
            sa.select(RoomSeat.member_id).where(
                RoomSeat.call_id == call.id, RoomSeat.by_hand.is_(True)
            )
        )
    )
    return RoomsPage(
        setup=setup,
        rooms=views,
        people=_sorted(everyone.values()),
        answers=answers,
        placed=placed,
        by_hand=by_hand,
        unplaced=_sorted(m for i, m in coming.items() if i not in placed),
        without_video_email=planning.attendees_without_video_email(call),
    )


def _setup_form(setup: BreakoutSetup | None) -> SetupForm:
    if setup is None:
        return SetupForm(formdata=None)
    if setup.room_count is not None:
        return SetupForm(formdata=None, divide_by=BY_COUNT, number=setup.room_count)
    return SetupForm(formdata=None, divide_by=BY_SIZE, number=setup.room_size)


def _render(call: Call, status: int = 200, **forms):
    page = _rooms_page(call)
    forms.setdefault("setup_form", _setup_form(page.setup))
    if "moves" not in forms:
        forms["moves"] = moves_form(page.people, page.room_numbers, page.placed, formdata=None)
    forms.setdefault("plan_form", PlanAgainForm(formdata=None))
    forms.setdefault("off_form", TurnOffForm(formdata=None))
    now = utcnow()
    return (
        render_template(
            "breakouts/rooms.html",
            call=call,
            page=page,
            field_name=field_name,
            started=call.has_started(now),
            **forms,
        ),
        status,
    )


# --- the host's page ------------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/rooms", methods=["GET", "POST"])
@login_required
def rooms(call_id: int):
    call = _call_for_host(call_id)
    if request.method == "GET":
        return _render(call)
    form = SetupForm()
    if form.validate():
        try:
            planning.set_up_rooms(call, **form.choice(), actor=current_user)
            db.session.commit()
        except BreakoutError as exc:
            db.session.rollback()
            form.number.errors.append(str(exc))
        else:
            count = len(planning.rooms_for(call))
            flash(f"The rooms are planned: {plural(count, 'room')}.", "success")
            return _back(call)
    return _render(call, setup_form=form)


@bp.route("/calls/<int:call_id>/rooms/plan", methods=["GET", "POST"])
@login_required
def plan_again(call_id: int):
    call = _call_for_host(call_id)
    form = PlanAgainForm()
    if request.method == "GET" or not form.validate():
        return _back(call) if request.method == "GET" else _render(call, plan_form=form)
    try:
        changes = planning.plan_call(call, actor=current_user)
        db.session.commit()
    except BreakoutError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _render(call, plan_form=form)
    moved = [c for c in changes if c.before is not None and c.before != c.after]
    told = f"; {_people(len(moved))} moved, each told by email" if moved else ""
    flash(f"The rooms are planned again{told}. People you placed by hand stay.", "success")
    return _back(call)


@bp.route("/calls/<int:call_id>/rooms/off", methods=["GET", "POST"])
@login_required
def turn_off(call_id: int):
    call = _call_for_host(call_id)
    form = TurnOffForm()
    if request.method == "GET" or not form.validate():
        return _back(call) if request.method == "GET" else _render(call, off_form=form)
    try:
        planning.turn_off_rooms(call, actor=current_user)
        db.session.commit()
    except BreakoutError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _render(call, off_form=form)
    flash("Breakout rooms are off for this call.", "success")
    return _back(call)


@bp.route("/calls/<int:call_id>/rooms/moves", methods=["GET", "POST"])
@login_required
def move_people(call_id: int):
    """One select per person; only the changed ones are moved (each by hand, each told)."""
    call = _call_for_host(call_id)
    if request.method == "GET":
        return _back(call)
    page = _rooms_page(call)
    if page.setup is None:
        flash("Set up the rooms first.", "error")
        return _back(call)
    form = moves_form(page.people, page.room_numbers, page.placed)
    if not form.validate():
        return _render(call, moves=form)
    chosen = chosen_rooms(form, page.people)
    seen = seen_rooms(form)
    if seen is None:
        seen = page.placed
    changed = {i: (seen.get(i), n) for i, n in chosen.items() if n != seen.get(i)}
    try:
        planning.move_people_by_hand(call, changed, actor=current_user)
        db.session.commit()
    except planning.RoomsChanged as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(call)
    except BreakoutError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _render(call, moves=form)
    if changed:
        flash(f"{_people(len(changed))} moved; each is told by email.", "success")
    else:
        flash("Nobody's room changed.", "info")
    return _back(call)


@bp.get("/calls/<int:call_id>/rooms.csv")
@login_required
def import_file(call_id: int):
    """The rooms as the video call's pre-assignment import reads them: its own header, a
    row per person, no byte-order mark (the import is not a spreadsheet). Cells still go
    through csvfiles, so an address that a spreadsheet would run as a formula is defused."""
    call = _call_for_host(call_id)
    if breakout_setup(call) is None:
        abort(404)
    body = csv_text(IMPORT_HEADER, planning.import_rows(call)).removeprefix(BOM)
    day = localize(call.starts_at, call.zone).date().isoformat()
    return (
        body.encode("utf-8"),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{day}-breakout-rooms.csv"',
        },
    )


# --- after the call: who was really where -----------------------------------------------------


def _presence_people(call: Call, views) -> tuple[list[Member], dict[int, int | None]]:
    """Who the form lists (the recorded attendance if there is one, else those placed, and
    anyone recorded in a room already) and the room each is set to (recorded, else planned)."""
    planned = {m.id: view.room.number for view in views for m in view.people}
    recorded = {m.id: view.room.number for view in views for m in view.recorded}
    members = {m.id: m for view in views for m in view.people + view.recorded}
    attended = db.session.scalars(
        sa.select(Member)
        .join(Attendance, Attendance.member_id == Member.id)
        .where(Attendance.call_id == call.id)
        .options(selectinload(Member.organisation))
    ).all()
    if attended:
        keep = {m.id for m in attended} | set(recorded)
        members = {m.id: m for m in attended} | {i: members[i] for i in recorded}
        members = {i: m for i, m in members.items() if i in keep}
    return _sorted(members.values()), planned | recorded


@bp.route("/calls/<int:call_id>/rooms/record", methods=["GET", "POST"])
@login_required
def record_presence(call_id: int):
    call = _call_for_host(call_id)
    setup = breakout_setup(call)
    if setup is None:
        flash("This call had no breakout rooms.", "error")
        return _back(call)
    views = planning.rooms_for(call)
    people, current = _presence_people(call, views)
    numbers = [view.room.number for view in views]
    started = call.has_started(utcnow())
    form = presence_form(people, numbers, current, formdata=None)
    if request.method == "POST":
        form = presence_form(people, numbers, current)
        if form.validate():
            rooms: dict[int, list[int]] = {n: [] for n in numbers}
            for member_id, number in chosen_rooms(form, people).items():
                if number is not None:
                    rooms[number].append(member_id)
            try:
                count = planning.record_presence(call, rooms, actor=current_user)
                db.session.commit()
            except BreakoutError as exc:
                db.session.rollback()
                form.form_errors.append(str(exc))
            else:
                flash(
                    f"Saved: {_people(count)} in rooms; they count as having met.",
                    "success",
                )
                return redirect(url_for("convenings.call", call_id=call.id))
    has_recorded = db.session.scalar(
        sa.select(sa.func.count()).select_from(RoomPresence).where(RoomPresence.call_id == call.id)
    )
    return render_template(
        "breakouts/record.html",
        call=call,
        form=form,
        people=people,
        field_name=field_name,
        started=started,
        rooms=views,
        has_recorded=bool(has_recorded),
    )
