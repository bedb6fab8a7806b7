"""The summit pages for admins: the summit, registrations, agenda, social sessions, seating."""

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from convene.accounts.forms import ConfirmForm
from convene.accounts.models import Member, Organisation, Role
from convene.accounts.permissions import role_required
from convene.csvfiles import csv_response
from convene.extensions import db
from convene.summit import seating
from convene.summit.changes import agenda_item_edited, summit_edited, timing, where_and_when
from convene.summit.forms import (
    AbsenceForm,
    AgendaItemForm,
    MoveForm,
    MustNotForm,
    RunAssignmentForm,
    SlotForm,
    SocialSessionForm,
    SummitForm,
    WaitlistDecisionForm,
)
from convene.summit.models import (
    AgendaItem,
    AgendaKind,
    MustNotPair,
    Registration,
    RegistrationStatus,
    SessionKind,
    SlotAbsence,
    SocialSession,
    Summit,
)
from convene.summit.registration import (
    RegistrationError,
    confirmed_count,
    promote_waitlisted,
    waiting_in_order,
)
from convene.summit.routes import _session, bp, get_summit
from convene.summit.waitlist_decisions import (
    move_on_waitlist,
    promote_now,
    remove_from_waitlist,
)
from convene.zones import ZoneError, localize, to_utc


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<slug>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_summit(slug: str | None = None):
    summit = get_summit(slug) if slug else None
    form = SummitForm(obj=summit)
    if request.method == "GET":
        if summit is not None:
            form.registration_opens.data = localize(summit.registration_opens_at, summit.zone)
            form.registration_closes.data = localize(summit.registration_closes_at, summit.zone)
        else:
            form.asks_dietary.data = form.asks_accessibility.data = form.asks_travel.data = True
            form.delegation_limit.data = 3
            form.zone.data = "America/New_York"
    if form.validate_on_submit():
        try:
            opens = _local(form.registration_opens.data, form.zone.data)
            closes = _local(form.registration_closes.data, form.zone.data)
        except ZoneError as exc:
            form.registration_opens.errors.append(str(exc))
        else:
            is_new = summit is None
            if is_new:
                summit = Summit()
                db.session.add(summit)
            before = (summit.name, summit.starts_on, summit.ends_on, summit.venue, summit.address)
            was = where_and_when(summit)
            for name in (
                "name",
                "slug",
                "starts_on",
                "ends_on",
                "venue",
                "address",
                "zone",
                "capacity",
                "delegation_limit",
                "asks_dietary",
                "asks_accessibility",
                "asks_travel",
            ):
                setattr(summit, name, getattr(form, name).data)
            summit.description = form.description.data or None
            summit.registration_opens_at, summit.registration_closes_at = opens, closes
            if not is_new and before != (
                summit.name,
                summit.starts_on,
                summit.ends_on,
                summit.venue,
                summit.address,
            ):
                summit.revision = (summit.revision or 0) + 1
            try:
                db.session.flush()
                if not is_new:
                    summit_edited(summit, was, current_user)  # new dates or venue are told
                    # More seats than before: the waitlist moves up at once.
                    promote_waitlisted(summit)
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                form.slug.errors.append("Another summit already has this name or short name.")
            else:
                flash(f"{summit.name} is saved.", "success")
                return redirect(url_for("summit.show", slug=summit.slug))
    return render_template(
        "summit/form.html",
        form=form,
        heading=f"Edit {summit.name}" if summit else "New summit",
        back_url=url_for("summit.show", slug=summit.slug) if summit else url_for("summit.index"),
        back_label=summit.name if summit else "Summit",
    )


def _local(value: datetime, zone_name: str) -> datetime:
    return to_utc(value.date(), value.time(), zone_name)


# --- registrations ---------------------------------------------------------------------------


def _filtered_registrations(summit: Summit):
    status = request.args.get("status") or ""
    org_id = request.args.get("org", type=int)
    query = (
        select(Registration)
        .where(Registration.summit_id == summit.id)
        .options(
            selectinload(Registration.member),
            selectinload(Registration.organisation),
            selectinload(Registration.registered_by),
        )
        .order_by(Registration.registered_at, Registration.id)
    )
    if status in {s.value for s in RegistrationStatus}:
        query = query.where(Registration.status == RegistrationStatus(status))
    else:
        status = ""
    if org_id:
        query = query.where(Registration.organisation_id == org_id)
    return db.session.scalars(query).all(), status, org_id


@bp.get("/<slug>/registrations")
@role_required(Role.ADMIN)
def registrations(slug: str):
    summit = get_summit(slug)
    rows, status, org_id = _filtered_registrations(summit)
    by_state = dict(
        db.session.execute(
            select(Registration.status, func.count(Registration.id))
            .where(Registration.summit_id == summit.id)
            .group_by(Registration.status)
        ).all()
    )
    by_city = db.session.execute(
        select(
            Organisation,
            func.count(Registration.id).filter(Registration.status == RegistrationStatus.CONFIRMED),
            func.count(Registration.id).filter(
                Registration.status == RegistrationStatus.WAITLISTED
            ),
        )
        .join(Registration, Registration.organisation_id == Organisation.id)
        .where(Registration.summit_id == summit.id)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    ).all()
    order = {r.id: n for n, r in enumerate(waiting_in_order(summit.id), start=1)}
    return render_template(
        "summit/registrations.html",
        summit=summit,
        rows=rows,
        status=status,
        org_id=org_id,
        by_state={s: by_state.get(s, 0) for s in RegistrationStatus},
        by_city=by_city,
        positions=order,
        confirm=ConfirmForm(),
        statuses=list(RegistrationStatus),
    )


@bp.get("/<slug>/registrations.csv")
@role_required(Role.ADMIN)
def registrations_csv(slug: str):
    summit = get_summit(slug)
    rows, _status, _org = _filtered_registrations(summit)
    header = [
        "name",
        "email",
        "organisation",
        "status",
        "registered_at (UTC)",
        "dietary_needs",
        "accessibility_needs",
        "arrives_on",
        "departs_on",
        "registered_by",
    ]
    return csv_response(
        f"{summit.slug}-registrations.csv",
        header,
        (
            [
                r.member.name,
                r.member.email,
                r.organisation.name,
                r.status.value,
                r.registered_at.strftime("%Y-%m-%d %H:%M:%S"),
                r.dietary_needs,
                r.accessibility_needs,
                r.arrives_on,
                r.departs_on,
                r.registered_by.name if r.registered_by else None,
            ]
            for r in rows
        ),
    )


# --- the waitlist, by hand ---------------------------------------------------------------------


def _decision_form(registration_id: int) -> WaitlistDecisionForm:
    return WaitlistDecisionForm(prefix=f"r{registration_id}")


def _render_waitlist(summit: Summit, failed: tuple[int, WaitlistDecisionForm] | None = None):
    order = waiting_in_order(summit.id)
    forms = {r.id: _decision_form(r.id) for r in order}
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    return render_template(
        "summit/waitlist.html",
        summit=summit,
        order=order,
        forms=forms,
        confirmed=confirmed_count(summit.id),
        kinds=WAITLIST_KINDS,
    ), (409 if failed is not None else 200)


WAITLIST_KINDS = (
    "registration.waitlisted",
    "registration.promoted",
    "registration.moved",
    "registration.removed",
)


@bp.get("/<slug>/waitlist")
@role_required(Role.ADMIN)
def waitlist(slug: str):
    """The waitlist in promotion order, each person with the decisions staff may make."""
    return _render_waitlist(get_summit(slug))


@bp.post("/<slug>/waitlist/<int:registration_id>")
@role_required(Role.ADMIN)
def waitlist_decision(slug: str, registration_id: int):
    summit = get_summit(slug)
    registration = db.get_or_404(Registration, registration_id)
    if registration.summit_id != summit.id:
        abort(404)
    form = _decision_form(registration.id)
    if not form.validate_on_submit() or form.decision() is None:
        if not form.errors and form.decision() is None:
            form.reason.errors.append("Choose what to do.")
        return _render_waitlist(summit, (registration.id, form))
    name = registration.member.name
    reason = form.reason.data
    try:
        decision = form.decision()
        if decision == "promote":
            promote_now(registration, current_user, reason, over_capacity=form.over_capacity.data)
            message = f"{name} has a place at {summit.name} and is told so."
        elif decision == "remove":
            remove_from_waitlist(registration, current_user, reason, form.tell_reason.data)
            told = "with the reason" if form.tell_reason.data else "without the reason"
            message = f"{name} is off the waitlist and is told so, {told}."
        else:
            position = move_on_waitlist(
                registration, current_user, reason, -1 if decision == "up" else 1
            )
            message = f"{name} is now at position {position} on the waitlist."
        db.session.commit()
    except RegistrationError as exc:
        db.session.rollback()
        form.reason.errors.append(str(exc))
        flash(str(exc), "error")
        return _render_waitlist(summit, (registration.id, form))
    flash(message, "success")
    return redirect(url_for("summit.waitlist", slug=summit.slug))


# --- agenda ----------------------------------------------------------------------------------


@bp.route("/<slug>/agenda/new", methods=["GET", "POST"])
@bp.route("/<slug>/agenda/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_agenda_item(slug: str, item_id: int | None = None):
    summit = get_summit(slug)
    item = None
    if item_id is not None:
        item = db.get_or_404(AgendaItem, item_id)
        if item.summit_id != summit.id:
            abort(404)
    form = AgendaItemForm(obj=item)
    if request.method == "GET" and item is not None:
        start, end = localize(item.starts_at, summit.zone), localize(item.ends_at, summit.zone)
        form.day.data, form.starts.data, form.ends.data = start.date(), start.time(), end.time()
    elif request.method == "GET":
        form.day.data = summit.starts_on
    if form.validate_on_submit():
        try:
            starts_at = to_utc(form.day.data, form.starts.data, summit.zone)
            ends_at = to_utc(form.day.data, form.ends.data, summit.zone)
        except ZoneError as exc:
            form.starts.errors.append(str(exc))
        else:
            was = timing(item) if item is not None else None
            if item is None:
                item = AgendaItem(summit=summit)
                db.session.add(item)
            elif (item.title, item.starts_at, item.ends_at, item.room, item.is_cancelled) != (
                form.title.data,
                starts_at,
                ends_at,
                form.room.data or None,
                form.is_cancelled.data,
            ):
                item.revision += 1
            item.kind = AgendaKind(form.kind.data)
            item.title = form.title.data.strip()
            item.starts_at, item.ends_at = starts_at, ends_at
            item.room = form.room.data or None
            item.speakers = form.speakers.data or None
            item.description = form.description.data or None
            item.is_public = form.is_public.data
            item.is_cancelled = form.is_cancelled.data
            if was is not None:
                agenda_item_edited(item, was, current_user)
            db.session.commit()
            flash(f"{item.title} is saved.", "success")
            return redirect(url_for("summit.show", slug=summit.slug) + f"#item-{item.id}")
    return render_template(
        "summit/form.html",
        form=form,
        heading=f"Edit {item.title}" if item else "New agenda item",
        intro=f"Times are local at the venue ({summit.zone}).",
        back_url=url_for("summit.show", slug=summit.slug),
        back_label=summit.name,
    )


# --- social sessions -------------------------------------------------------------------------


@bp.route("/<slug>/sessions/new", methods=["GET", "POST"])
@bp.route("/<slug>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_session(slug: str, session_id: int | None = None):
    summit = get_summit(slug)
    session = _session(summit, session_id) if session_id else None
    form = SocialSessionForm(obj=session)
    if request.method == "GET" and session is not None and session.starts_at:
        start = localize(session.starts_at, summit.zone)
        form.day.data, form.starts.data = start.date(), start.time()
        form.ends.data = localize(session.ends_at, summit.zone).time()
    if form.validate_on_submit():
        kind = SessionKind(form.kind.data)
        starts_at = ends_at = None
        try:
            if kind == SessionKind.OPEN:
                starts_at = to_utc(form.day.data, form.starts.data, summit.zone)
                ends_at = to_utc(form.day.data, form.ends.data, summit.zone)
        except ZoneError as exc:
            form.starts.errors.append(str(exc))
        else:
            if session is None:
                session = SocialSession(summit=summit, kind=kind)
                db.session.add(session)
            elif session.kind != kind and (session.signups or session.slots):
                flash("This session already has sign-ups or slots: its kind stays.", "error")
                return redirect(url_for("summit.edit_session", slug=slug, session_id=session.id))
            elif (
                session.title,
                session.place,
                session.starts_at,
                session.ends_at,
                session.is_cancelled,
            ) != (
                form.title.data,
                form.place.data or None,
                starts_at,
                ends_at,
                form.is_cancelled.data,
            ):
                session.revision += 1
            session.kind = kind
            session.title = form.title.data.strip()
            session.place = form.place.data or None
            session.description = form.description.data or None
            session.starts_at, session.ends_at = starts_at, ends_at
            session.capacity = form.capacity.data if kind == SessionKind.OPEN else None
            session.is_cancelled = form.is_cancelled.data
            db.session.commit()
            flash(f"{session.title} is saved.", "success")
            if kind == SessionKind.ASSIGNED:
                return redirect(url_for("summit.seating_plan", slug=slug, session_id=session.id))
            return redirect(url_for("summit.show", slug=slug) + f"#session-{session.id}")
    return render_template(
        "summit/form.html",
        form=form,
        heading=f"Edit {session.title}" if session else "New social session",
        intro=f"Times are local at the venue ({summit.zone}). An assigned session gets its "
        "slots and tables on its seating page.",
        back_url=url_for("summit.show", slug=summit.slug),
        back_label=summit.name,
    )


# --- seating of assigned sessions ------------------------------------------------------------


def _assigned(slug: str, session_id: int) -> tuple[Summit, SocialSession]:
    summit = get_summit(slug)
    session = _session(summit, session_id)
    if not session.is_assigned:
        abort(404)
    return summit, session


@bp.get("/<slug>/sessions/<int:session_id>/seating")
@role_required(Role.ADMIN)
def seating_plan(slug: str, session_id: int):
    summit, session = _assigned(slug, session_id)
    review = seating.review(session)
    members = sorted(review.members.values(), key=lambda m: m.name)
    move = MoveForm()
    move.member_id.choices = [(m.id, f"{m.name} ({m.organisation.name})") for m in members]
    move.table_id.choices = [(t.id, f"{s.label}: {t.name}") for s in review.slots for t in s.tables]
    absence = AbsenceForm()
    absence.member_id.choices = move.member_id.choices
    absence.slot_id.choices = [(s.id, s.label) for s in review.slots]
    slot_form = SlotForm()
    if not review.slots:
        slot_form.day.data = summit.starts_on
    return render_template(
        "summit/seating.html",
        summit=summit,
        session=session,
        review=review,
        run_form=RunAssignmentForm(seed=session.seed or 0),
        slot_form=slot_form,
        move_form=move,
        absence_form=absence,
        confirm=ConfirmForm(),
    )


@bp.post("/<slug>/sessions/<int:session_id>/slots")
@role_required(Role.ADMIN)
def add_slot(slug: str, session_id: int):
    summit, session = _assigned(slug, session_id)
    form = SlotForm()
    if form.validate_on_submit():
        try:
            seating.add_slot(
                session,
                form.label.data.strip(),
                to_utc(form.day.data, form.starts.data, summit.zone),
                to_utc(form.day.data, form.ends.data, summit.zone),
                form.tables.data,
                form.seats.data,
                form.place.data or None,
            )
            db.session.commit()
        except (ZoneError, seating.SeatingError) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash("The slot is added.", "success")
    else:
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {' '.join(errors)}", "error")
    return redirect(url_for("summit.seating_plan", slug=slug, session_id=session.id))


@bp.post("/<slug>/sessions/<int:session_id>/run")
@role_required(Role.ADMIN)
def run_assignment(slug: str, session_id: int):
    _summit, session = _assigned(slug, session_id)
    form = RunAssignmentForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        report = seating.run_assignment(session, form.seed.data or 0)
        db.session.commit()
    except seating.SeatingNotFound as exc:
        db.session.commit()  # the best draft found, with its broken rules listed on the page
        flash(str(exc), "warning")
    except seating.SeatingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(
            f"Seated {report.seated} places: {report.same_org_pairs} colleague pairs, "
            f"most meetings of one pair {report.max_pair_meetings}. Review, then publish.",
            "success",
        )
    return redirect(url_for("summit.seating_plan", slug=slug, session_id=session.id))


@bp.post("/<slug>/sessions/<int:session_id>/move")
@role_required(Role.ADMIN)
def move(slug: str, session_id: int):
    _summit, session = _assigned(slug, session_id)
    form = MoveForm()
    tables = {t.id: t for s in session.slots for t in s.tables}
    form.table_id.choices = [(t, str(t)) for t in tables]
    form.member_id.choices = [(m.id, "") for m in seating.confirmed_attendees(session.summit_id)]
    if not form.validate_on_submit():
        flash("Choose a confirmed attendee and a table of this session.", "error")
    else:
        table = tables[form.table_id.data]
        try:
            seating.move_attendee(session, table.slot, form.member_id.data, table)
            db.session.commit()
        except seating.SeatingError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            member = db.session.get(Member, form.member_id.data)
            flash(f"{member.name} now sits at {table.name} ({table.slot.label}).", "success")
    return redirect(url_for("summit.seating_plan", slug=slug, session_id=session.id))


@bp.post("/<slug>/sessions/<int:session_id>/absences")
@role_required(Role.ADMIN)
def add_absence(slug: str, session_id: int):
    _summit, session = _assigned(slug, session_id)
    form = AbsenceForm()
    form.slot_id.choices = [(s.id, s.label) for s in session.slots]
    form.member_id.choices = [(m.id, "") for m in seating.confirmed_attendees(session.summit_id)]
    if form.validate_on_submit():
        slot = next(s for s in session.slots if s.id == form.slot_id.data)
        member = db.session.get(Member, form.member_id.data)
        if seating.mark_absent(slot, member, current_user):
            db.session.commit()
            flash("The absence is noted and their seat in that slot freed.", "success")
        else:
            flash("That absence is already noted.", "info")
    else:
        flash("Choose a confirmed attendee and a slot.", "error")
    return redirect(url_for("summit.seating_plan", slug=slug, session_id=session.id))


@bp.post("/<slug>/sessions/<int:session_id>/absences/<int:absence_id>/delete")
@role_required(Role.ADMIN)
def delete_absence(slug: str, session_id: int, absence_id: int):
    _summit, session = _assigned(slug, session_id)
    absence = db.get_or_404(SlotAbsence, absence_id)
    if absence.slot.session_id != session.id or not ConfirmForm().validate_on_submit():
        abort(404)
    db.session.delete(absence)
    db.session.commit()
    flash("They are expected at that slot again: seat them with a move.", "success")
    return redirect(url_for("summit.seating_plan", slug=slug, session_id=session.id))


@bp.post("/<slug>/sessions/<int:session_id>/publish")
@role_required(Role.ADMIN)
def publish(slug: str, session_id: int):
    _summit, session = _assigned(slug, session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        sent = seating.publish(session)
        db.session.commit()
    except seating.SeatingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(
            f"The seating is published; {sent} attendees are being emailed their tables.", "success"
        )
    return redirect(url_for("summit.seating_plan", slug=slug, session_id=session.id))


@bp.route("/<slug>/must-not", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def must_not(slug: str):
    summit = get_summit(slug)
    attendees = sorted(seating.confirmed_attendees(summit.id), key=lambda m: m.name)
    form = MustNotForm()
    choices = [(m.id, f"{m.name} ({m.organisation.name})") for m in attendees]
    form.member_a_id.choices = form.member_b_id.choices = choices
    if form.validate_on_submit():
        try:
            seating.add_must_not_pair(
                summit,
                db.session.get(Member, form.member_a_id.data),
                db.session.get(Member, form.member_b_id.data),
                form.reason.data or None,
            )
            db.session.commit()
        except seating.SeatingError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash("They will not be seated together.", "success")
            return redirect(url_for("summit.must_not", slug=slug))
    pairs = db.session.scalars(
        select(MustNotPair)
        .where(MustNotPair.summit_id == summit.id)
        .options(selectinload(MustNotPair.member_a), selectinload(MustNotPair.member_b))
    ).all()
    return render_template(
        "summit/must_not.html", summit=summit, form=form, pairs=pairs, confirm=ConfirmForm()
    )


@bp.post("/<slug>/must-not/<int:pair_id>/delete")
@role_required(Role.ADMIN)
def delete_must_not(slug: str, pair_id: int):
    summit = get_summit(slug)
    pair = db.get_or_404(MustNotPair, pair_id)
    if pair.summit_id != summit.id or not ConfirmForm().validate_on_submit():
        abort(404)
    db.session.delete(pair)
    db.session.commit()
    flash("The pair may sit together again.", "success")
    return redirect(url_for("summit.must_not", slug=slug))


@bp.get("/<slug>/sessions/<int:session_id>")
@login_required
def session_page(slug: str, session_id: int):
    """An assigned session's published plan, for members: tables as cards, coloured by city."""
    summit, session = _assigned(slug, session_id)
    if not session.is_published and not current_user.is_admin:
        abort(404)
    review = seating.review(session)
    return render_template("summit/session.html", summit=summit, session=session, review=review)
