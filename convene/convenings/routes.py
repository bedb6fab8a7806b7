"""Calls: the upcoming list and archive, one call's page, hosting, series and participation."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from convene.accounts.forms import ConfirmForm
from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.accounts.permissions import role_required
from convene.calendar.invitations import call_event
from convene.convenings import listings, record, rescheduling, rotation, rsvps, swaps
from convene.convenings.errors import CallError
from convene.convenings.forms import (
    AgendaForm,
    ArchiveSearchForm,
    CancelForm,
    MoveForm,
    ReassignForm,
    RecordForm,
    ReinstateForm,
    RsvpForm,
    SeriesForm,
    SwapForm,
)
from convene.convenings.models import (
    Call,
    RsvpAnswer,
    Series,
    SeriesHost,
    SwapRequest,
    SwapStatus,
)
from convene.convenings.participation import participation_by_city
from convene.convenings.permissions import (
    can_answer_swap,
    can_host_call,
    can_manage_series,
    can_reassign_host,
    can_reinstate_call,
    can_rsvp,
    can_see_join_details,
    can_withdraw_swap,
)
from convene.convenings.series_editing import (
    SeriesDetails,
    apply_series_plan,
    create_series,
    format_skips,
    lock_for_edit,
    parse_skips,
    plan_series_edit,
)
from convene.extensions import db
from convene.inputs import clamp_page
from convene.types import utcnow
from convene.visits.reports import search_reports
from convene.zones import ZoneError, localize, to_utc

bp = Blueprint("convenings", __name__)

ARCHIVE_PAGE_SIZE = 25


@bp.context_processor
def call_permissions():
    return {
        "can_host_call": can_host_call,
        "can_see_join_details": can_see_join_details,
        "can_rsvp": can_rsvp,
        "can_manage_series": can_manage_series,
        "can_reassign_host": can_reassign_host,
        "can_reinstate_call": can_reinstate_call,
        "can_answer_swap": can_answer_swap,
        "can_withdraw_swap": can_withdraw_swap,
    }


def _call_or_404(call_id: int) -> Call:
    return db.get_or_404(Call, call_id)


def _hosted_call_or_403(call_id: int) -> Call:
    """The call, if the signed-in member may run it; locked when the request changes it."""
    call = (
        rescheduling.lock_call(call_id)
        if request.method == "POST"
        else db.session.get(Call, call_id)
    )
    if call is None:
        abort(404)
    if not can_host_call(current_user, call):
        abort(403)
    return call


# --- members ------------------------------------------------------------------------------


def _list_context(calls) -> dict:
    """What every list of calls shows beside each call (a fixed number of queries)."""
    ids = [c.id for c in calls]
    return {
        "counts": listings.rsvp_counts(ids),
        "attended": listings.attendance_counts(ids),
        "topics": listings.topics_of(calls),
    }


@bp.get("/calls")
def upcoming():
    now = utcnow()
    calls = listings.upcoming_calls(now)
    return render_template(
        "convenings/upcoming.html",
        calls=calls,
        answers=listings.answers_of(current_user, [c.id for c in calls]),
        now=now,
        **_list_context(calls),
    )


@bp.get("/partners/<slug>")
def partner(slug: str):
    """A partner's page: who it is, the calls it hosts, and its calendar feed."""
    organisation = db.first_or_404(
        select(Organisation).where(
            Organisation.slug == slug, Organisation.kind == OrganisationKind.PARTNER
        )
    )
    now = utcnow()
    upcoming, recent = listings.hosted_calls(organisation.id, now)
    return render_template(
        "convenings/partner.html",
        organisation=organisation,
        upcoming=upcoming,
        recent=recent,
        now=now,
        **_list_context(upcoming + recent),
    )


@bp.get("/calls/archive")
def archive():
    form = ArchiveSearchForm(request.args)
    search = form.q.data if form.validate() else ""
    page = db.paginate(
        listings.archive_query(search),
        page=clamp_page(request.args.get("page", type=int)),
        per_page=ARCHIVE_PAGE_SIZE,
        max_per_page=100,
    )
    # The same search finds visit reports, which are the network's (signed-in members').
    reports, report_total = [], 0
    if current_user.is_authenticated and page.page == 1:
        reports, report_total = search_reports(search)
    return render_template(
        "convenings/archive.html",
        page=page,
        form=form,
        search=search,
        reports=reports,
        report_total=report_total,
        **_list_context(page.items),
    )


@bp.get("/calls/<int:call_id>")
def call(call_id: int):
    call = _call_or_404(call_id)
    answer = listings.answers_of(current_user, [call.id]).get(call.id)
    groups = []
    if current_user.is_authenticated:
        grouped = listings.rsvps_by_organisation(call)
        groups = [("Coming", grouped[RsvpAnswer.YES]), ("Maybe", grouped[RsvpAnswer.MAYBE])]
    return render_template(
        "convenings/call.html",
        call=call,
        answer=answer,
        rsvp_form=RsvpForm(),
        groups=groups,
        counts=listings.rsvp_counts([call.id])[call.id],
        attended=listings.attendance_counts([call.id]).get(call.id, 0),
        call_topic=listings.topics_of([call])[call.id],
        now=utcnow(),
        calendar_event=call_event(call.id, with_join_details=can_see_join_details(current_user)),
    )


@bp.post("/calls/<int:call_id>/rsvp")
@login_required
def rsvp(call_id: int):
    call = _call_or_404(call_id)
    form = RsvpForm()
    if not form.validate_on_submit():
        flash("Choose yes, no or maybe.", "error")
        return redirect(url_for("convenings.call", call_id=call.id))
    try:
        rsvps.answer_rsvp(call, current_user, form.answer.data)
        db.session.commit()
    except CallError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"Your answer is saved: {form.answer.data}.", "success")
    if request.form.get("back") == "upcoming":
        return redirect(url_for("convenings.upcoming", _anchor=f"call-{call.id}"))
    if request.form.get("back") == "home":
        return redirect(url_for("site.home", _anchor=f"call-{call.id}"))
    return redirect(url_for("convenings.call", call_id=call.id))


# --- hosts --------------------------------------------------------------------------------


@bp.get("/hosting")
@role_required(Role.HOST)
def host_dashboard():
    now = utcnow()
    partner_id = None if current_user.is_admin else current_user.organisation_id
    calls = listings.upcoming_calls(now, host_organisation_id=partner_id)
    pending_stmt = select(SwapRequest).where(SwapRequest.status == SwapStatus.PENDING)
    if partner_id is not None:
        pending_stmt = pending_stmt.where(
            (SwapRequest.from_organisation_id == partner_id)
            | (SwapRequest.to_organisation_id == partner_id)
        )
    pending = db.session.scalars(
        pending_stmt.options(
            selectinload(SwapRequest.call).selectinload(Call.series),
            selectinload(SwapRequest.other_call).selectinload(Call.series),
            selectinload(SwapRequest.from_organisation),
            selectinload(SwapRequest.to_organisation),
        ).order_by(SwapRequest.created_at)
    ).all()
    return render_template(
        "convenings/host_dashboard.html",
        calls=calls,
        flags=listings.host_flags(calls, now),
        pending=pending,
        confirm=ConfirmForm(),
        now=now,
        **_list_context(calls),
    )


@bp.route("/calls/<int:call_id>/agenda", methods=["GET", "POST"])
@login_required
def edit_agenda(call_id: int):
    call = _hosted_call_or_403(call_id)
    form = AgendaForm(obj=call)
    if form.validate_on_submit():
        try:
            record.save_agenda(call, form.title.data, form.agenda.data)
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            form.agenda.errors.append(str(exc))
        else:
            flash("The agenda is saved.", "success")
            return redirect(url_for("convenings.call", call_id=call.id))
    return render_template("convenings/agenda_form.html", call=call, form=form)


@bp.route("/calls/<int:call_id>/move", methods=["GET", "POST"])
@login_required
def move(call_id: int):
    call = _hosted_call_or_403(call_id)
    local = localize(call.starts_at, call.zone)
    form = MoveForm(
        day=local.date(),
        wall_time=local.time(),
        zone=call.zone,
        duration_minutes=call.duration_minutes,
    )
    neighbours = []
    if form.validate_on_submit():
        try:
            starts_at = to_utc(form.day.data, form.wall_time.data, form.zone.data)
            rescheduling.move_call(
                call,
                starts_at,
                form.duration_minutes.data,
                confirm_conflicts=form.move_anyway.data,
                actor=current_user,
            )
            db.session.commit()
        except rescheduling.MoveConflict as exc:
            db.session.rollback()
            neighbours = exc.calls
        except (CallError, ZoneError) as exc:
            db.session.rollback()
            form.wall_time.errors.append(str(exc))
        else:
            flash("The call is moved; everyone who answered is told.", "success")
            return redirect(url_for("convenings.call", call_id=call.id))
    return render_template("convenings/move_form.html", call=call, form=form, neighbours=neighbours)


@bp.route("/calls/<int:call_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(call_id: int):
    call = _hosted_call_or_403(call_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            rescheduling.cancel_call(call, form.reason.data)
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            form.reason.errors.append(str(exc))
        else:
            flash("The call is cancelled; everyone who answered is told.", "success")
            return redirect(url_for("convenings.call", call_id=call.id))
    return render_template("convenings/cancel_form.html", call=call, form=form)


@bp.route("/calls/<int:call_id>/reinstate", methods=["GET", "POST"])
@login_required
def reinstate(call_id: int):
    call = _hosted_call_or_403(call_id)
    if not call.is_cancelled:
        flash("This call is not cancelled.", "error")
        return redirect(url_for("convenings.call", call_id=call.id))
    form = ReinstateForm()
    problem = None
    if form.validate_on_submit():
        try:
            rescheduling.bring_back(call, actor=current_user)
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            problem = exc
        else:
            flash("The call is back on; everyone who heard of its cancellation is told.", "success")
            return redirect(url_for("convenings.call", call_id=call.id))
    else:
        try:
            rescheduling.check_reinstatable(call)
        except CallError as exc:
            problem = exc
    topic = rescheduling.released_topic(call)
    return render_template(
        "convenings/reinstate_form.html",
        call=call,
        form=form,
        problem=problem,
        clashes=getattr(problem, "calls", []),
        counts=listings.rsvp_counts([call.id])[call.id],
        topic=topic,
        topic_back=topic is not None and rescheduling.topic_comes_back(call, topic),
    )


def _attendee_groups() -> list[tuple[Organisation, list[Member]]]:
    """Active members by organisation, cities first, for the attendance form."""
    members = db.session.scalars(
        select(Member)
        .join(Organisation)
        .where(Member.active.is_(True))
        .options(selectinload(Member.organisation))
        .order_by(Organisation.name, Member.name, Member.id)
    )
    groups: dict[int, tuple[Organisation, list[Member]]] = {}
    for member in members:
        groups.setdefault(member.organisation_id, (member.organisation, []))[1].append(member)
    return sorted(groups.values(), key=lambda g: (not g[0].is_city, g[0].name))


@bp.route("/calls/<int:call_id>/record", methods=["GET", "POST"])
@login_required
def record_view(call_id: int):
    call = _hosted_call_or_403(call_id)
    form = RecordForm(
        notes=call.notes,
        resources=record.format_resources(call),
        attendees=[a.member_id for a in call.attendances]
        or [r.member_id for r in call.rsvps if r.answer.value == "yes"],
    )
    groups = _attendee_groups()
    form.attendees.choices = [(m.id, m.name) for _org, people in groups for m in people]
    if form.validate_on_submit():
        try:
            resources = record.parse_resources(form.resources.data)
            record.record_call(call, form.notes.data, resources, form.attendees.data or [])
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            form.resources.errors.append(str(exc))
        else:
            flash("The call's record is saved.", "success")
            return redirect(url_for("convenings.call", call_id=call.id))
    return render_template(
        "convenings/record_form.html",
        call=call,
        form=form,
        groups=groups,
        ticked=set(form.attendees.data or []),
    )


@bp.route("/calls/<int:call_id>/swap", methods=["GET", "POST"])
@login_required
def request_swap(call_id: int):
    call = _hosted_call_or_403(call_id)
    form = SwapForm()
    others = [
        c
        for c in listings.upcoming_calls()
        if c.host_organisation_id != call.host_organisation_id and not c.is_cancelled
    ]
    form.other_call_id.choices = [
        (c.id, f"{c.starts_at:%Y-%m-%d} — {c.host_organisation.name} — {c.label}") for c in others
    ]
    if form.validate_on_submit():
        other = db.session.get(Call, form.other_call_id.data)
        try:
            swaps.request_swap(current_user, call, other, form.message.data)
            db.session.commit()
        except (CallError, IntegrityError) as exc:
            db.session.rollback()
            message = str(exc) if isinstance(exc, CallError) else "A swap is already waiting."
            form.other_call_id.errors.append(message)
        else:
            flash(f"Your request is sent to {other.host_organisation.name}.", "success")
            return redirect(url_for("convenings.host_dashboard"))
    return render_template("convenings/swap_form.html", call=call, form=form)


@bp.post("/calls/swaps/<int:swap_id>/<any(accept, decline, withdraw):action>")
@login_required
def answer_swap(swap_id: int, action: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    swap = db.get_or_404(SwapRequest, swap_id)
    allowed = can_withdraw_swap if action == "withdraw" else can_answer_swap
    if not allowed(current_user, swap):
        abort(403)
    try:
        if action == "withdraw":
            swaps.withdraw_swap(current_user, swap.id)
        else:
            swaps.answer_swap(current_user, swap.id, accept=action == "accept")
        db.session.commit()
    except CallError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        done = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}[action]
        flash(f"The swap is {done}; both partners are told.", "success")
    return redirect(url_for("convenings.host_dashboard"))


@bp.route("/calls/<int:call_id>/reassign", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def reassign(call_id: int):
    call = _hosted_call_or_403(call_id)
    form = ReassignForm(organisation_id=call.host_organisation_id)
    form.organisation_id.choices = [
        (o.id, o.name)
        for o in db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.PARTNER)
            .order_by(Organisation.name)
        )
    ]
    if form.validate_on_submit():
        try:
            rescheduling.reassign_host(
                call, db.session.get(Organisation, form.organisation_id.data)
            )
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            form.organisation_id.errors.append(str(exc))
        else:
            flash(f"{call.host_organisation.name} now hosts this call.", "success")
            return redirect(url_for("convenings.call", call_id=call.id))
    return render_template("convenings/reassign_form.html", call=call, form=form)


# --- admins -------------------------------------------------------------------------------


@bp.get("/admin/participation")
@role_required(Role.ADMIN)
def participation():
    rows = participation_by_city()
    top = max([r.calls_12 for r in rows] + [1])
    return render_template("convenings/participation.html", rows=rows, top=top)


@bp.get("/admin/series")
@role_required(Role.ADMIN)
def series_list():
    series = db.session.scalars(
        select(Series)
        .options(selectinload(Series.rotation).selectinload(SeriesHost.organisation))
        .order_by(Series.name)
    ).all()
    return render_template("convenings/series_list.html", series=series)


def _series_details(form: SeriesForm) -> SeriesDetails:
    return SeriesDetails(
        name=form.name.data,
        first_date=form.first_date.data,
        weekday=form.weekday.data,
        local_time=form.local_time.data,
        zone=form.zone.data,
        interval_weeks=form.interval_weeks.data,
        duration_minutes=form.duration_minutes.data,
        horizon_weeks=form.horizon_weeks.data,
        video_url=form.video_url.data,
        dial_in_number=form.dial_in_number.data,
        dial_in_code=form.dial_in_code.data,
        description=form.description.data,
        rotation_ids=form.rotation_ids(),
        skips=parse_skips(form.skips.data),
        rotation_seen=form.seen_rotation(),
    )


@bp.route("/admin/series/new", methods=["GET", "POST"])
@bp.route("/admin/series/<int:series_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_series(series_id: int | None = None):
    """A new series is saved at once; an edit shows its plan first and is saved only when
    the admin confirms that same plan (its key), so nothing shifts unseen."""
    series = db.get_or_404(Series, series_id) if series_id is not None else None
    partners = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.PARTNER)
        .order_by(Organisation.name)
    ).all()
    if series is not None and request.method == "GET":
        fields = ["name", "first_date", "local_time", "zone", "interval_weeks",
                  "duration_minutes", "horizon_weeks", "video_url", "dial_in_number",
                  "dial_in_code", "description"]  # fmt: skip
        queue = rotation.load_queue(series).cycle
        form = SeriesForm(
            partners,
            data={name: getattr(series, name) for name in fields}
            | {
                "weekday": series.first_date.weekday(),
                "skips": format_skips(series),
                "rotation": [str(o) for o in queue],
                "rotation_seen": ",".join(str(o) for o in queue),
            },
        )
    else:
        form = SeriesForm(partners)
    if form.validate_on_submit() and not form.revise.data:
        try:
            details = _series_details(form)
            if series is None:
                series, _created = create_series(details)
                db.session.commit()
                flash(f"{series.name} is saved and its calls are scheduled.", "success")
                return redirect(url_for("convenings.series_list"))
            stale = False
            if form.confirm.data:
                series = lock_for_edit(series.id)
                plan = plan_series_edit(series, details)
                if plan.key == form.plan_key.data:
                    apply_series_plan(plan, actor=current_user)
                    db.session.commit()
                    flash(f"{series.name} is saved; everyone affected is told.", "success")
                    return redirect(url_for("convenings.series_list"))
                db.session.rollback()
                stale = True
            plan = plan_series_edit(series, details)
        except CallError as exc:
            db.session.rollback()
            form[getattr(exc, "field", "skips")].errors.append(str(exc))
        except IntegrityError:
            db.session.rollback()
            form.name.errors.append("Another series already has this name.")
        else:
            if plan.is_empty and not stale:
                flash(f"Nothing to save: {series.name} is as it was.", "success")
                return redirect(url_for("convenings.series_list"))
            form.plan_key.data = plan.key
            return render_template(
                "convenings/series_preview.html",
                form=form,
                series=series,
                plan=plan,
                stale=stale,
                carried=form.carried(),
            )
    return render_template(
        "convenings/series_form.html", form=form, series=series, owed=_owed(series)
    )


def _owed(series: Series | None) -> list[tuple[Organisation, Call]]:
    """The turns the series owes, for the form to show: (partner, the call it lost)."""
    if series is None:
        return []
    owed = rotation.load_queue(series).owed
    calls = {
        c.id: c for c in db.session.scalars(select(Call).where(Call.id.in_([c for c, _ in owed])))
    }
    return [(db.session.get(Organisation, o), calls[c]) for c, o in owed]
