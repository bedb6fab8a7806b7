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

from convene.accounts.models import Organisation, OrganisationKind, Role
from convene.accounts.permissions import role_required
from convene.extensions import db
from convene.forms import Form
from convene.inputs import clamp_page
from convene.ledger.ties import city_ties
from convene.visits import areas as area_rules
from convene.visits import reports as report_rules
from convene.visits.forms import PracticeAreaForm, ReportForm, StrengthsForm
from convene.visits.models import PracticeArea, Visit, VisitStatus
from convene.visits.permissions import (
    can_ask_for_visit,
    can_edit_strengths,
    can_report,
    can_view_visit,
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
bp.add_app_template_global(report_rules.report_label, "report_label")


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


# A scheduled visit's people, itinerary, move and cancellation (registered on this blueprint).
from convene.visits import schedule_routes  # noqa: E402, F401
