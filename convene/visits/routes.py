"""Peer visits' pages: practice areas, what a city can share, suggested hosts (and, added
alongside, requests, answers, approval, itinerary and reports)."""

from datetime import date

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from convene.accounts.models import Organisation, OrganisationKind, Role
from convene.accounts.permissions import role_required
from convene.extensions import db
from convene.forms import Form
from convene.history.wording import history_lines
from convene.inputs import clamp_page
from convene.ledger.ties import city_ties
from convene.types import utcnow
from convene.visits import areas as area_rules
from convene.visits import budget as budget_rules
from convene.visits import dashboard as dashboard_rules
from convene.visits import reports as report_rules
from convene.visits import requests as request_rules
from convene.visits.forms import PracticeAreaForm, ReportForm, StrengthsForm
from convene.visits.models import PracticeArea, Visit, VisitCity, VisitParticipant, VisitStatus
from convene.visits.permissions import (
    can_answer,
    can_answer_proposal,
    can_ask_for_visit,
    can_edit_strengths,
    can_report,
    can_view_visit,
)
from convene.visits.request_forms import (
    AnswerForm,
    ApproveForm,
    BudgetForm,
    ProposalForm,
    VisitRequestForm,
)
from convene.visits.strengths import (
    StrengthError,
    all_areas,
    city_evidence,
    describe_evidence,
    listed_areas,
    set_strengths,
)
from convene.visits.suggestions import suggestions_for
from convene.zones import localize, viewer_zone_name, zone_label

bp = Blueprint("visits", __name__)


def _names(areas) -> str:
    return ", ".join(a.name for a in areas)


# --- practice areas (programme admins) ------------------------------------------------------


@bp.route("/visits/areas", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def areas():
    form = PracticeAreaForm()
    if form.validate_on_submit():
        try:
            area = area_rules.add_area(form.name.data, form.keywords.data)
            db.session.commit()
        except area_rules.AreaError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        except IntegrityError:  # added at the same moment by someone else
            db.session.rollback()
            form.name.errors.append(f"There is already an area called “{form.name.data}”.")
        else:
            flash(f"“{area.name}” added to the practice areas.", "success")
            return redirect(url_for("visits.areas"))
    return render_template(
        "visits/areas.html",
        form=form,
        areas=all_areas(),
        counts=area_rules.use_counts(),
        confirm=Form(),
    )


def _area_or_404(slug: str) -> PracticeArea:
    area = db.session.scalar(sa.select(PracticeArea).where(PracticeArea.slug == slug))
    if area is None:
        abort(404)
    return area


@bp.route("/visits/areas/<slug>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_area(slug: str):
    area = _area_or_404(slug)
    form = PracticeAreaForm(obj=area)
    if form.validate_on_submit():
        was = area.name
        try:
            area_rules.rename_area(area, form.name.data, form.keywords.data)
            db.session.commit()
        except area_rules.AreaError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        except IntegrityError:
            db.session.rollback()
            form.name.errors.append(f"There is already an area called “{form.name.data}”.")
        else:
            what = f"“{was}” is now “{area.name}”." if was != area.name else f"“{area.name}” saved."
            flash(what, "success")
            return redirect(url_for("visits.areas"))
    return render_template("visits/area_form.html", form=form, area=area)


@bp.route("/visits/areas/<slug>/remove", methods=["POST"])
@role_required(Role.ADMIN)
def remove_area(slug: str):
    area = _area_or_404(slug)
    if not Form().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(url_for("visits.areas"))
    name = area.name
    try:
        area_rules.remove_area(area)
        db.session.commit()
    except area_rules.AreaError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except IntegrityError:  # a city listed it, or a visit was asked about it, meanwhile
        db.session.rollback()
        flash(f"“{name}” cannot be removed: it is in use. Rename it instead.", "error")
    else:
        flash(f"“{name}” removed from the practice areas.", "success")
    return redirect(url_for("visits.areas"))


# --- what a city can share ------------------------------------------------------------------


@bp.route("/visits/strengths")
@login_required
def strengths_index():
    """A champion goes to their city's list; an admin sees every city's."""
    own = current_user.organisation
    if not current_user.is_admin:
        if own is not None and can_edit_strengths(current_user, own):
            return redirect(url_for("visits.strengths", slug=own.slug))
        abort(403)
    cities = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.kind == OrganisationKind.CITY)
        .order_by(Organisation.name)
    ).all()
    listed = listed_areas([c.id for c in cities])
    return render_template("visits/strengths_index.html", cities=cities, listed=listed)


@bp.route("/visits/strengths/<slug>", methods=["GET", "POST"])
@login_required
def strengths(slug: str):
    city = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if city is None or not city.is_city:
        abort(404)
    if not can_edit_strengths(current_user, city):
        abort(403)
    areas = all_areas()
    known = city_evidence(city)
    listed = {area_id for area_id, item in known.items() if item.listed}
    suggested = {area_id for area_id, item in known.items() if item.suggested}
    form = StrengthsForm(obj=city)
    form.areas.choices = [(a.id, a.name) for a in areas]
    if not current_user.is_admin:
        del form.latitude, form.longitude  # only admins place a city
    if request.method == "GET":
        # Never saved: the areas the record suggests come ticked, for the champion to keep.
        form.areas.data = sorted(listed or suggested)
    if form.validate_on_submit():
        try:
            added, removed = set_strengths(city, form.areas.data or [], current_user)
            city.visits_hosted_cap = form.visits_hosted_cap.data
            if "latitude" in form:
                city.latitude, city.longitude = form.latitude.data, form.longitude.data
            db.session.commit()
        except StrengthError as exc:
            db.session.rollback()
            form.areas.errors.append(str(exc))
        except IntegrityError:  # the same change saved at the same moment elsewhere
            db.session.rollback()
            form.areas.errors.append("The list changed meanwhile; reload the page and try again.")
        else:
            changes = []
            if added:
                changes.append(f"added {_names(added)}")
            if removed:
                changes.append(f"removed {_names(removed)}")
            said = "; ".join(changes) + "." if changes else "no area changed."
            said = said[0].upper() + said[1:]
            flash(f"{city.name}'s list saved. {said}", "success")
            return redirect(url_for("visits.strengths", slug=city.slug))
    this_year = date.today().year
    reasons = {
        area.id: describe_evidence(known[area.id], area.name, this_year)
        for area in areas
        if area.id in known
    }
    return render_template(
        "visits/strengths.html",
        city=city,
        form=form,
        areas=areas,
        reasons=reasons,
        listed=listed,
        never_saved=not listed,
    )


# --- suggested hosts ------------------------------------------------------------------------


def _asking_city() -> Organisation | None:
    """The member's own city; an admin may choose any city (?city=slug)."""
    slug = request.args.get("city")
    if current_user.is_admin and slug:
        city = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
        return city if city is not None and city.is_city else None
    own = current_user.organisation
    return own if own is not None and own.is_city else None


@bp.route("/visits/learn")
@login_required
def learn():
    """ "We want to learn about X": the cities to ask, best first, each with its reasons."""
    city = _asking_city()
    if city is None and not current_user.is_admin:
        abort(403)
    areas = all_areas()
    slug = request.args.get("area")
    area = next((a for a in areas if a.slug == slug), None)
    virtual = request.args.get("format") == "virtual"
    problem, status = None, 200
    if slug and area is None:
        problem, status = "That area is not on the list: choose one of these.", 404
    elif current_user.is_admin and city is None and request.args.get("city"):
        problem, status = "That city is not in the network: choose one of these.", 404
    suggestions = []
    if area is not None and city is not None:
        suggestions = suggestions_for(city, area, date.today(), ties=city_ties(), virtual=virtual)
    can_link = (
        "visits.new_request" in current_app.view_functions
        and city is not None
        and can_ask_for_visit(current_user)
        and current_user.organisation_id == city.id
    )
    cities = []
    if current_user.is_admin:
        cities = db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.kind == OrganisationKind.CITY)
            .order_by(Organisation.name)
        ).all()
    page = render_template(
        "visits/learn.html",
        city=city,
        cities=cities,
        areas=areas,
        area=area,
        virtual=virtual,
        problem=problem,
        suggestions=[s for s in suggestions if not s.is_full],
        full=[s for s in suggestions if s.is_full],
        can_link=can_link,
    )
    return page, status


# --- after the visit: reports -------------------------------------------------------------

REPORTS_PAGE_SIZE = 20
bp.add_app_template_global(report_rules.excerpt, "report_excerpt")
bp.add_app_template_global(report_rules.days_label, "visit_days")
bp.add_app_template_global(report_rules.is_held, "visit_is_held")
bp.add_app_template_global(can_report, "can_report_visit")


def _has_visit_page() -> bool:
    """The visit's own page is added alongside (requests.py); link to it once it is there."""
    return "visits.visit" in current_app.view_functions


def _visit_or_404(visit_id: int) -> Visit:
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        abort(404)
    return visit


def _visit_city_or_404(visit: Visit, slug: str) -> Organisation:
    city = next((c.organisation for c in visit.cities if c.organisation.slug == slug), None)
    if city is None:
        abort(404)
    return city


def _reports_to_write(visit: Visit, exclude: int | None = None) -> list[Organisation]:
    """The cities of the visit whose report the member may write and has not published."""
    if not report_rules.is_held(visit):
        return []
    published = {r.organisation_id for r in visit.reports if r.is_published}
    return [
        c.organisation
        for c in visit.cities
        if c.organisation_id not in published
        and c.organisation_id != exclude
        and can_report(current_user, visit, c.organisation_id)
    ]


@bp.get("/visits/reports")
@login_required
def reports():
    """Every published report, newest visit first (the archive's search finds them too)."""
    page = db.paginate(
        report_rules.published_reports_query(),
        page=clamp_page(request.args.get("page", type=int)),
        per_page=REPORTS_PAGE_SIZE,
        max_per_page=100,
    )
    return render_template("visits/reports.html", page=page)


@bp.get("/visits/<int:visit_id>/reports/<slug>")
@login_required
def report(visit_id: int, slug: str):
    """A published report is the network's; a draft only its writers see."""
    report = report_rules.get_report(visit_id, slug)
    if report is None:
        abort(404)
    visit = report.visit
    may_edit = can_report(current_user, visit, report.organisation_id)
    if not report.is_published and not may_edit:
        abort(404)
    return render_template(
        "visits/report.html",
        report=report,
        visit=visit,
        links=report_rules.links_of(report),
        may_edit=may_edit,
        may_view_visit=can_view_visit(current_user, visit) and _has_visit_page(),
        others=[r for r in visit.reports if r.id != report.id and r.is_published],
        to_write=_reports_to_write(visit, exclude=report.organisation_id),
    )


@bp.route("/visits/<int:visit_id>/reports/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_report(visit_id: int, slug: str):
    visit = _visit_or_404(visit_id)
    city = _visit_city_or_404(visit, slug)
    if not can_report(current_user, visit, city.id):
        abort(403)
    existing = report_rules.report_for(visit, city.id)
    form = ReportForm(obj=existing)
    problem = None
    if visit.status not in (VisitStatus.APPROVED, VisitStatus.HELD):
        problem = "This visit did not go ahead, so it has no reports."
    elif not report_rules.is_held(visit):
        problem = (
            f"Reports are written once the visit is over: from the day after "
            f"{visit.ends_on:%-d %B %Y}."
        )
    if problem is None and form.validate_on_submit():
        publish = bool(form.publish.data) or (existing is not None and existing.is_published)
        try:
            saved = report_rules.save_report(
                visit, city, form.shown.data, form.will_try.data, form.resources.data,
                publish=publish, actor=current_user,
            )  # fmt: skip
            db.session.commit()
        except report_rules.ReportError as exc:
            db.session.rollback()
            field = form.resources if "link" in str(exc) else form.shown
            field.errors = [*field.errors, str(exc)]
        except IntegrityError:  # the city's report was started elsewhere at the same moment
            db.session.rollback()
            form.shown.errors = [
                *form.shown.errors,
                "Someone from your city saved this report meanwhile; reload the page.",
            ]
        else:
            if saved.is_published:
                flash(f"{city.label}'s report is published to the network.", "success")
                return redirect(url_for("visits.report", visit_id=visit.id, slug=city.slug))
            flash(f"{city.label}'s report is saved as a draft.", "success")
            return redirect(url_for("visits.edit_report", visit_id=visit.id, slug=city.slug))
    status = 200 if problem is None else 409
    return render_template(
        "visits/report_form.html",
        form=form,
        visit=visit,
        city=city,
        side=report_rules.side_of(visit, city.id),
        report=existing,
        problem=problem,
        has_visit_page=_has_visit_page(),
    ), status


# --- requests: ask, answer, take other dates, approve ---------------------------------------


def _cities() -> list[Organisation]:
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.kind == OrganisationKind.CITY)
            .order_by(Organisation.name)
        )
    )


def _show_error(form, exc: request_rules.VisitRequestError, fallback: str) -> None:
    """The refusal under the field it is about (or the form's), so it is read first."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is None:
        target = getattr(form, fallback, None)
    if target is None:
        form.form_errors.append(str(exc))
    else:
        target.errors = [*target.errors, str(exc)]


@bp.route("/visits/new", methods=["GET", "POST"])
@login_required
def new_request():
    """A city's champion (or an admin, for any city) asks another city for a visit."""
    if not (current_user.is_admin or can_ask_for_visit(current_user)):
        abort(403)
    cities, areas = _cities(), all_areas()
    by_slug = {c.slug: c for c in cities}
    form = VisitRequestForm()
    city_choices = [(c.slug, c.label) for c in cities]
    form.host.choices = [("", "Choose a city"), *city_choices]
    form.area.choices = [("", "Choose an area"), *((a.slug, a.name) for a in areas)]
    form.also_visiting.choices = city_choices
    if current_user.is_admin:
        form.asking_city.choices = [("", "Choose a city"), *city_choices]
    else:
        del form.asking_city
    notice = None
    if request.method == "GET":
        asked = {"host": request.args.get("host"), "area": request.args.get("area")}
        if current_user.is_admin:
            asked["asking_city"] = request.args.get("city")
        for name, slug in asked.items():
            if not slug:
                continue
            if slug in {value for value, _ in getattr(form, name).choices if value}:
                getattr(form, name).data = slug
            else:
                notice = "The city or area in the address is not on the lists: choose below."
    status = 200
    if form.validate_on_submit():
        asking = (
            by_slug[form.asking_city.data] if current_user.is_admin else current_user.organisation
        )
        host = by_slug[form.host.data]
        area = next(a for a in areas if a.slug == form.area.data)
        try:
            visit = request_rules.request_visit(
                current_user,
                request_rules.NewRequest(
                    asking=asking,
                    host=host,
                    area=area,
                    visit_format=request_rules.VisitFormat(form.visit_format.data),
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                    problem=form.problem.data,
                    intended_use=form.intended_use.data,
                    also_visiting=[by_slug[s] for s in form.also_visiting.data or []],
                    is_public=form.is_public.data,
                ),
            )
            db.session.commit()
        except request_rules.VisitRequestError as exc:
            db.session.rollback()
            _show_error(form, exc, "host")
        else:
            flash(
                f"Your request is sent to {host.name}: its champion will accept it, decline "
                f"it or propose other dates.",
                "success",
            )
            return redirect(url_for("visits.visit", visit_id=visit.id))
    if request.method == "POST":
        status = 400
    today = date.today()
    return render_template(
        "visits/request_form.html",
        form=form,
        notice=notice,
        lead_days=request_rules.lead_days(),
        max_days=request_rules.max_days(),
        earliest=request_rules.earliest_start(today),
    ), status


def _viewable_visit(visit_id: int) -> Visit:
    """The visit, for those who may see it; anyone else gets the same 404 as for no visit."""
    visit = db.session.get(Visit, visit_id)
    if visit is None or not can_view_visit(current_user, visit):
        abort(404)
    return visit


def _visit_page(visit: Visit, status: int = 200, **forms):
    viewer_zone = viewer_zone_name()
    is_admin = current_user.is_admin
    answer = forms.get("answer_form")
    if answer is None and can_answer(current_user, visit):
        answer = AnswerForm(formdata=None)
    proposal = forms.get("proposal_form")
    if proposal is None and can_answer_proposal(current_user, visit):
        proposal = ProposalForm(formdata=None)
    approve = forms.get("approve_form")
    may_approve = is_admin and visit.status == VisitStatus.ACCEPTED
    if approve is None and may_approve:
        approve = ApproveForm(formdata=None)
    return render_template(
        "visits/visit.html",
        visit=visit,
        status_label=request_rules.status_label(visit),
        days=request_rules.days_span(visit.starts_on, visit.ends_on),
        proposed=(
            request_rules.days_span(visit.proposed_starts_on, visit.proposed_ends_on)
            if visit.proposed_starts_on
            else None
        ),
        host_zone=zone_label(visit.zone),
        viewer_zone=zone_label(viewer_zone),
        difference=request_rules.zone_difference(visit.zone, viewer_zone, visit.starts_on),
        answer_form=answer,
        proposal_form=proposal,
        approve_form=approve if may_approve else None,
        budget=budget_rules.summary(visit.year) if (may_approve or is_admin) else None,
        dollars=budget_rules.dollars,
        history=history_lines(visit_id=visit.id),
    ), status


@bp.get("/visits/<int:visit_id>")
@login_required
def visit(visit_id: int):
    return _visit_page(_viewable_visit(visit_id))


def _refused(visit_id: int, exc, form_name: str, form, fallback: str):
    """A refused step: nothing was written; the page again, with the reason where it
    belongs (409 when the visit moved on meanwhile)."""
    db.session.rollback()
    visit = _viewable_visit(visit_id)
    code = 409 if isinstance(exc, request_rules.VisitConflict) else 400
    if isinstance(exc, request_rules.VisitConflict) and exc.field is None:
        flash(str(exc), "error")
        return _visit_page(visit, code)
    _show_error(form, exc, fallback)
    return _visit_page(visit, code, **{form_name: form})


@bp.route("/visits/<int:visit_id>/answer", methods=["GET", "POST"])
@login_required
def answer(visit_id: int):
    """The host city's champion accepts, declines or proposes other dates."""
    visit = _viewable_visit(visit_id)
    if request.method == "GET":  # the form's own address, reloaded after a refusal
        return _visit_page(visit)
    form = AnswerForm()
    if visit.status != VisitStatus.REQUESTED:
        flash(str(request_rules.moved_on(visit)), "error")
        return _visit_page(visit, 409)
    if not can_answer(current_user, visit):
        abort(403)
    if not form.validate_on_submit():
        return _visit_page(visit, 400, answer_form=form)
    try:
        request_rules.answer_request(
            current_user,
            visit.id,
            form.answer.data,
            reason=form.reason.data,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
        )
        db.session.commit()
    except request_rules.VisitConflict as exc:
        return _refused(visit_id, exc, "answer_form", form, "answer")
    except request_rules.VisitRequestError as exc:
        if not can_answer(current_user, visit):
            db.session.rollback()
            abort(403)
        return _refused(visit_id, exc, "answer_form", form, "answer")
    said = {
        request_rules.Answer.ACCEPT: "Accepted: programme staff approve it next.",
        request_rules.Answer.DECLINE: "Declined: the asking city is told why.",
        request_rules.Answer.PROPOSE: "Other dates proposed: the asking city answers next.",
    }[form.answer.data]
    flash(said, "success")
    return redirect(url_for("visits.visit", visit_id=visit_id))


@bp.route("/visits/<int:visit_id>/proposal", methods=["GET", "POST"])
@login_required
def answer_proposal(visit_id: int):
    """The asking city's champion takes the host's other dates, or withdraws."""
    visit = _viewable_visit(visit_id)
    if request.method == "GET":
        return _visit_page(visit)
    form = ProposalForm()
    take, withdraw = bool(form.take.data), bool(form.withdraw.data)
    if visit.status != VisitStatus.DATES_PROPOSED:
        flash(str(request_rules.moved_on(visit)), "error")
        return _visit_page(visit, 409)
    if not can_answer_proposal(current_user, visit):
        abort(403)
    if not form.validate_on_submit() or take == withdraw:
        form.form_errors.append("Take the proposed dates, or withdraw the request.")
        return _visit_page(visit, 400, proposal_form=form)
    try:
        request_rules.answer_proposal(current_user, visit.id, take=take)
        db.session.commit()
    except request_rules.VisitConflict as exc:
        return _refused(visit_id, exc, "proposal_form", form, "take")
    except request_rules.VisitRequestError as exc:
        if not can_answer_proposal(current_user, visit):
            db.session.rollback()
            abort(403)
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _visit_page(_viewable_visit(visit_id), 400, proposal_form=form)
    flash(
        "You took the proposed dates: programme staff approve the visit next."
        if take
        else "Your request is withdrawn.",
        "success",
    )
    return redirect(url_for("visits.visit", visit_id=visit_id))


@bp.route("/visits/<int:visit_id>/approve", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def approve(visit_id: int):
    """A programme admin schedules an accepted visit, with an optional travel budget."""
    visit = _viewable_visit(visit_id)
    if request.method == "GET":
        return _visit_page(visit)
    form = ApproveForm()
    if not form.validate_on_submit():
        if visit.status != VisitStatus.ACCEPTED:
            flash(str(request_rules.moved_on(visit)), "error")
            return _visit_page(visit, 409)
        return _visit_page(visit, 400, approve_form=form)
    dollars = form.travel_budget.data
    try:
        request_rules.approve_visit(
            current_user, visit.id, dollars * 100 if dollars is not None else None
        )
        db.session.commit()
    except request_rules.VisitRequestError as exc:
        return _refused(visit_id, exc, "approve_form", form, "travel_budget")
    flash("Approved: the visit is scheduled, and its cities and people are told.", "success")
    return redirect(url_for("visits.visit", visit_id=visit_id))


@bp.get("/visits")
@login_required
def index():
    """The visits of the member's city (champions), the visits they are named on, and for
    admins every visit: a fixed number of queries, however many there are."""
    query = sa.select(Visit).options(
        selectinload(Visit.cities).selectinload(VisitCity.organisation),
        selectinload(Visit.practice_area),
        selectinload(Visit.requesting_organisation),
    )
    if not current_user.is_admin:
        mine = sa.select(VisitParticipant.visit_id).where(
            VisitParticipant.member_id == current_user.id
        )
        conditions = [Visit.id.in_(mine)]
        if current_user.is_champion and current_user.organisation_id is not None:
            city_visits = sa.select(VisitCity.visit_id).where(
                VisitCity.organisation_id == current_user.organisation_id
            )
            conditions += [
                Visit.id.in_(city_visits),
                Visit.requesting_organisation_id == current_user.organisation_id,
            ]
        query = query.where(sa.or_(*conditions))
    visits = list(db.session.scalars(query.order_by(Visit.starts_on.desc(), Visit.id.desc())))
    waiting = [v for v in visits if v.status in request_rules.WAITING_STATUSES]
    return render_template(
        "visits/list.html",
        visits=visits,
        waiting=waiting,
        others=[v for v in visits if v.status not in request_rules.WAITING_STATUSES],
        labels=request_rules.STATUS_LABELS,
        days_span=request_rules.days_span,
        can_ask=can_ask_for_visit(current_user) or current_user.is_admin,
    )


@bp.route("/admin/visits/budget", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def budget():
    """The programme's travel budget for each year: set, spent on approved visits, left."""
    form = BudgetForm()
    this_year = date.today().year
    if request.method == "GET" and form.year.data is None:
        form.year.data = request.args.get("year", type=int) or this_year
        if not 2000 <= form.year.data <= 2100:
            form.year.data = this_year
        current = budget_rules.summary(form.year.data)
        if current.is_set:
            form.amount.data = current.amount_cents // 100
    status = 200
    if form.validate_on_submit():
        try:
            was, saved = budget_rules.set_budget(form.year.data, form.amount.data * 100)
            db.session.commit()
        except budget_rules.BudgetError as exc:
            db.session.rollback()
            form.amount.errors = [*form.amount.errors, str(exc)]
        else:
            said = budget_rules.dollars(saved.amount_cents)
            flash(
                f"The {saved.year} travel budget is now {said}"
                + (f" (it was {budget_rules.dollars(was)})." if was is not None else "."),
                "success",
            )
            return redirect(url_for("visits.budget", year=saved.year))
    if request.method == "POST":
        status = 400
    years = set(budget_rules.budget_years()) | {this_year, this_year + 1}
    return render_template(
        "visits/budget.html",
        form=form,
        years=sorted(budget_rules.summaries(years), key=lambda s: -s.year),
        dollars=budget_rules.dollars,
    ), status


# A scheduled visit's people, itinerary, move and cancellation (registered on this blueprint).
from convene.visits import schedule_routes  # noqa: E402, F401

# --- the visits dashboard (programme admins) ------------------------------------------------


@bp.get("/admin/visits")
@role_required(Role.ADMIN)
def dashboard():
    """Visits asked for, approved and held in a year, by city and by area, and the spend."""
    today = localize(utcnow(), viewer_zone_name()).date()
    year, problem = request.args.get("year", type=int), None
    if year is None and request.args.get("year"):
        problem = "That is not a year: showing this year."
    elif year is not None and not 2000 <= year <= 2100:
        problem, year = "Give a year from 2000 to 2100: showing this year.", None
    board = dashboard_rules.visits_dashboard(year or today.year, today)
    return render_template(
        "visits/dashboard.html",
        board=board,
        problem=problem,
        dollars=budget_rules.dollars,
        has_budget_page="visits.budget" in current_app.view_functions,
    )
