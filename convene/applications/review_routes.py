"""Reviewing applications: the board, an application, reviewers, criteria, meetings.

Admins and the reviewers they mark read here (permissions.can_review); admins manage
reviewers, the rubric, the assignment and meetings. Views parse, call a domain function,
commit once, and render; what a viewer may see of others' scores is decided by
reviews.review_panel and board.build_board, not here.
"""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member, normalise_email
from convene.applications import assignment, meetings, reviewers, reviews, rubric
from convene.applications.board import BANDS, BoardFilters, build_board
from convene.applications.models import (
    SENIORITY_LABELS,
    STATUS_LABELS,
    Application,
    ApplicationStatus,
    Criterion,
    LeadershipMeeting,
    ReviewAssignment,
)
from convene.applications.permissions import (
    can_manage_review,
    can_review,
    is_reviewer,
)
from convene.applications.review_forms import (
    ConflictForm,
    CriterionForm,
    MarkReviewerForm,
    MeetingForm,
    NotesForm,
    review_form,
)
from convene.applications.uploads import open_letter
from convene.extensions import db
from convene.forms import Form
from convene.zones import localize, zone_label

bp = Blueprint("reviews", __name__)


@bp.before_request
def _rubric_exists():
    """The default criteria, made (and kept) the first time anyone reads here."""
    if rubric.ensure_criteria():
        db.session.commit()


def _reviewer_only():
    if not can_review(current_user):
        abort(403)


def _admin_only():
    if not can_manage_review(current_user):
        abort(403)


def _application(application_id: int) -> Application:
    application = db.session.scalar(
        select(Application)
        .where(Application.id == application_id, Application.status != ApplicationStatus.DRAFT)
        .options(selectinload(Application.areas))
    )
    if application is None:
        abort(404)
    return application


def _page(application: Application, anchor: str = "") -> str:
    return url_for("reviews.application", application_id=application.id) + (
        f"#{anchor}" if anchor else ""
    )


# --- the board ---------------------------------------------------------------------------


@bp.route("/applications")
@login_required
def board():
    _reviewer_only()
    filters = BoardFilters.from_args(request.args)
    return render_template(
        "applications/review/board.html",
        board=build_board(current_user, filters),
        bands=BANDS,
        statuses=[(s.value, STATUS_LABELS[s]) for s in ApplicationStatus if s.value != "draft"],
        is_admin=can_manage_review(current_user),
        button=Form(),
    )


@bp.route("/applications/assign", methods=["POST"])
@login_required
def assign_reviewers():
    _admin_only()
    if not Form().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(url_for("reviews.board"))
    plan = assignment.assign_reviewers(current_user)
    db.session.commit()
    flash(assignment.summary(plan), "warning" if plan.short else "success")
    return redirect(url_for("reviews.board"))


# --- one application ---------------------------------------------------------------------


def _render_application(application: Application, status: int = 200, **forms):
    panel = reviews.review_panel(application, current_user)
    if "review" not in forms:
        form = review_form(panel.criteria, prefix="review")
        if request.method == "GET" or not forms:
            for criterion in panel.criteria:
                score = panel.own_scores.get(criterion.id)
                getattr(form, f"score_{criterion.id}").data = str(score) if score else ""
            form.comments.data = panel.own.comments if panel.own else None
        forms["review"] = form
    meeting = meetings.current_meeting(application.id)
    forms.setdefault("conflict", ConflictForm(prefix="conflict"))
    forms.setdefault("meeting", MeetingForm(prefix="meeting"))
    if "notes" not in forms:
        forms["notes"] = NotesForm(prefix="notes", notes=meeting.notes if meeting else None)
    city_zone = meetings.city_zone(application)
    return (
        render_template(
            "applications/review/application.html",
            application=application,
            panel=panel,
            meeting=meeting,
            meeting_local=localize(meeting.starts_at, meeting.zone) if meeting else None,
            city_zone=city_zone,
            city_zone_label=zone_label(city_zone),
            conflicted=reviewers.has_conflict(application.id, current_user.id),
            is_reviewer=is_reviewer(current_user),
            is_admin=can_manage_review(current_user),
            seniority_labels=SENIORITY_LABELS,
            status_label=STATUS_LABELS[application.status],
            forms=forms,
            button=Form(),
        ),
        status,
    )


@bp.route("/applications/<int:application_id>")
@login_required
def application(application_id: int):
    _reviewer_only()
    return _render_application(_application(application_id))


@bp.route("/applications/<int:application_id>/letter")
@login_required
def letter(application_id: int):
    _reviewer_only()
    application = _application(application_id)
    stream = open_letter(application)
    if stream is None:
        abort(404)
    response = send_file(
        stream,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=application.letter_filename or f"{application.reference}-letter.pdf",
        max_age=0,
        conditional=False,
        etag=False,
        last_modified=None,
    )
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/applications/<int:application_id>/conflict", methods=["POST"])
@login_required
def declare_conflict(application_id: int):
    _reviewer_only()
    application = _application(application_id)
    if not is_reviewer(current_user):
        abort(403)
    form = ConflictForm(prefix="conflict")
    if not form.validate_on_submit():
        return _render_application(application, 400, conflict=form)
    removed = reviewers.declare_conflict(application, current_user, form.reason.data)
    db.session.commit()
    flash(
        "Your conflict is recorded"
        + ("; you are no longer assigned this application." if removed else ".")
        + " You will not be assigned it.",
        "success",
    )
    return redirect(_page(application))


@bp.route("/applications/<int:application_id>/review", methods=["POST"])
@login_required
def save_review(application_id: int):
    _reviewer_only()
    application = _application(application_id)
    form = review_form(rubric.active_criteria(), prefix="review")
    if not form.validate_on_submit():
        return _render_application(application, 400, review=form)
    submit = bool(form.submit_review.data)
    try:
        reviews.save_review(application, current_user, form.scores(), form.comments.data, submit)
        db.session.commit()
    except reviews.ReviewError as exc:
        db.session.rollback()
        target = getattr(form, f"score_{exc.field}", None) if exc.field else None
        if target is not None:
            target.errors = [*target.errors, str(exc)]
        else:
            form.form_errors.append(str(exc))
        return _render_application(application, 400, review=form)
    flash("Your review is submitted." if submit else "Your draft is saved.", "success")
    return redirect(_page(application, "review"))


# --- meetings ----------------------------------------------------------------------------


def _meeting_error(application, form, exc, prefix="meeting"):
    db.session.rollback()
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))
    return _render_application(application, 400, **{prefix: form})


@bp.route("/applications/<int:application_id>/meeting", methods=["POST"])
@login_required
def schedule_meeting(application_id: int):
    _admin_only()
    application = _application(application_id)
    form = MeetingForm(prefix="meeting")
    if not form.validate_on_submit():
        return _render_application(application, 400, meeting=form)
    current = meetings.current_meeting(application.id)
    try:
        if current is not None and not current.cancelled:
            meetings.move_meeting(
                current,
                form.day.data,
                form.starts_time.data,
                form.duration_minutes.data,
                form.location.data,
                current_user,
            )
            message = "The meeting is moved; its reviewers' calendars follow."
        else:
            meetings.schedule_meeting(
                application,
                form.day.data,
                form.starts_time.data,
                form.duration_minutes.data,
                form.location.data,
                current_user,
            )
            message = "The meeting is scheduled; it is in its reviewers' calendars."
        db.session.commit()
    except meetings.MeetingError as exc:
        return _meeting_error(application, form, exc)
    flash(message, "success")
    return redirect(_page(application, "meeting"))


def _meeting_of(application: Application, meeting_id: int) -> LeadershipMeeting:
    meeting = db.session.get(LeadershipMeeting, meeting_id)
    if meeting is None or meeting.application_id != application.id:
        abort(404)
    return meeting


@bp.route("/applications/<int:application_id>/meeting/<int:meeting_id>/cancel", methods=["POST"])
@login_required
def cancel_meeting(application_id: int, meeting_id: int):
    _admin_only()
    application = _application(application_id)
    meeting = _meeting_of(application, meeting_id)
    if not Form().validate_on_submit():
        abort(400)
    try:
        meetings.cancel_meeting(meeting, current_user)
        db.session.commit()
    except meetings.MeetingError as exc:
        db.session.rollback()
        flash(f"{exc} Nothing was changed.", "error")
        return redirect(_page(application, "meeting"))
    flash("The meeting is cancelled; it leaves its reviewers' calendars.", "success")
    return redirect(_page(application, "meeting"))


@bp.route("/applications/<int:application_id>/meeting/<int:meeting_id>/notes", methods=["POST"])
@login_required
def meeting_notes(application_id: int, meeting_id: int):
    _admin_only()
    application = _application(application_id)
    meeting = _meeting_of(application, meeting_id)
    form = NotesForm(prefix="notes")
    if not form.validate_on_submit():
        return _render_application(application, 400, notes=form)
    try:
        meetings.save_notes(meeting, form.notes.data)
        db.session.commit()
    except meetings.MeetingError as exc:
        return _meeting_error(application, form, exc, "notes")
    flash("The notes are saved with the application.", "success")
    return redirect(_page(application, "meeting"))


# --- reviewers ---------------------------------------------------------------------------


def _render_reviewers(form: MarkReviewerForm, status: int = 200, problem: str | None = None):
    rows = reviewers.reviewer_rows()
    loads = dict(
        db.session.execute(
            select(ReviewAssignment.member_id, func.count(ReviewAssignment.id)).group_by(
                ReviewAssignment.member_id
            )
        ).all()
    )
    return (
        render_template(
            "applications/review/reviewers.html",
            rows=rows,
            loads=loads,
            form=form,
            problem=problem,
            button=Form(),
        ),
        status,
    )


@bp.route("/applications/reviewers", methods=["GET", "POST"])
@login_required
def reviewer_list():
    _admin_only()
    form = MarkReviewerForm()
    if not form.validate_on_submit():
        return _render_reviewers(form, 400 if request.method == "POST" else 200)
    member = db.session.scalar(
        select(Member).where(Member.email == normalise_email(form.email.data))
    )
    if member is None:
        form.email.errors = [*form.email.errors, "Nobody has an account with that address."]
        return _render_reviewers(form, 400)
    try:
        reviewers.mark_reviewer(member)
        db.session.commit()
    except reviewers.ReviewerError as exc:
        db.session.rollback()
        return _render_reviewers(form, 400, problem=str(exc))
    flash(f"{member.name} is a reviewer.", "success")
    return redirect(url_for("reviews.reviewer_list"))


@bp.route("/applications/reviewers/<int:member_id>/unmark", methods=["POST"])
@login_required
def unmark_reviewer(member_id: int):
    _admin_only()
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404)
    if not Form().validate_on_submit():
        abort(400)
    try:
        released = reviewers.unmark_reviewer(member)
        db.session.commit()
    except reviewers.ReviewerError as exc:
        db.session.rollback()
        flash(f"{exc} Nothing was changed.", "error")
        return redirect(url_for("reviews.reviewer_list"))
    note = (
        f" {released} open assignment{'s' if released != 1 else ''} released." if released else ""
    )
    flash(f"{member.name} is no longer a reviewer.{note}", "success")
    return redirect(url_for("reviews.reviewer_list"))


# --- criteria ----------------------------------------------------------------------------


def _render_criteria(form: CriterionForm, status: int = 200, editing: Criterion | None = None):
    return (
        render_template(
            "applications/review/criteria.html",
            criteria=rubric.all_criteria(),
            form=form,
            editing=editing,
        ),
        status,
    )


def _criterion_error(form, exc, editing=None):
    db.session.rollback()
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))
    return _render_criteria(form, 400, editing)


@bp.route("/applications/criteria", methods=["GET", "POST"])
@login_required
def criteria():
    _admin_only()
    form = CriterionForm()
    if not form.validate_on_submit():
        return _render_criteria(form, 400 if request.method == "POST" else 200)
    try:
        criterion = rubric.add_criterion(form.name.data, form.guidance.data, form.weight.data)
        db.session.commit()
    except rubric.CriterionError as exc:
        return _criterion_error(form, exc)
    flash(f"{criterion.name} is in the rubric.", "success")
    return redirect(url_for("reviews.criteria"))


@bp.route("/applications/criteria/<int:criterion_id>", methods=["GET", "POST"])
@login_required
def edit_criterion(criterion_id: int):
    _admin_only()
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None:
        abort(404)
    form = CriterionForm(obj=criterion if request.method == "GET" else None)
    if not form.validate_on_submit():
        return _render_criteria(form, 400 if request.method == "POST" else 200, criterion)
    try:
        rubric.update_criterion(
            criterion, form.name.data, form.guidance.data, form.weight.data, form.active.data
        )
        db.session.commit()
    except rubric.CriterionError as exc:
        return _criterion_error(form, exc, criterion)
    flash(f"{criterion.name} is saved.", "success")
    return redirect(url_for("reviews.criteria"))
