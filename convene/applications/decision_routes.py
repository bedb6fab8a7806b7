"""Deciding on applications: decisions, letters and the selection dashboard (admins).

Views parse, call decisions.py or letters.py, commit once and render; sending letters
commits once per letter inside decisions.send_pending, so one refused letter never holds
back the others.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from convene.applications import decisions, letters
from convene.applications.dashboard import REGIONS, selection_dashboard
from convene.applications.decision_forms import DecisionForm, LetterTemplateForm
from convene.applications.models import Application, Outcome
from convene.applications.permissions import can_decide
from convene.extensions import db
from convene.forms import Form

bp = Blueprint("decisions", __name__)

OUTCOMES = {outcome.value for outcome in Outcome}


@bp.before_request
@login_required
def _admins_only():
    if not can_decide(current_user):
        abort(403)


@bp.app_template_global()
def decision_panel(application: Application):
    """For templates/applications/_decision_panel.html, included on the application's page."""
    return decisions.decision_panel(application)


@bp.app_template_global()
def may_decide() -> bool:
    return can_decide(current_user)


def _application_page(application_id: int) -> str:
    return url_for("reviews.application", application_id=application_id) + "#decision"


@bp.post("/applications/<int:application_id>/decision")
def decide(application_id: int):
    application = db.get_or_404(Application, application_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        problems = [e for errors in form.errors.values() for e in errors]
        flash(problems[0] if problems else "Choose accept, decline or hold.", "error")
        return redirect(_application_page(application_id))
    outcome = Outcome(form.outcome.data)
    try:
        decisions.decide(application, outcome, current_user)
        db.session.commit()
    except decisions.DecisionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except IntegrityError:  # another admin decided at the same moment: theirs stands
        db.session.rollback()
        flash("Another admin decided this application at the same moment: see theirs.", "error")
    else:
        what = letters.OUTCOME_LABELS[outcome].lower()
        flash(
            f"Decision for {application.city_label}: {what}. Its letter goes when you send "
            "pending letters.",
            "success",
        )
    return redirect(_application_page(application_id))


@bp.post("/applications/<int:application_id>/decision/withdraw")
def withdraw(application_id: int):
    application = db.get_or_404(Application, application_id)
    if not Form().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(_application_page(application_id))
    try:
        decisions.withdraw(application)
        db.session.commit()
    except decisions.DecisionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"The pending decision for {application.city_label} is taken back.", "success")
    return redirect(_application_page(application_id))


@bp.get("/applications/decisions")
def pending():
    waiting = decisions.pending()
    previews = {d.id: letters.build_letter(d.application, d.outcome) for d in waiting}
    db.session.commit()  # default templates, made the first time
    return render_template(
        "applications/decide/pending.html",
        waiting=waiting,
        previews=previews,
        labels=letters.OUTCOME_LABELS,
        form=Form(),
    )


@bp.post("/applications/decisions/send")
def send():
    if not Form().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(url_for("decisions.pending"))
    # Only ids of letters still pending count: anything else (sent meanwhile, taken back,
    # or not an id at all) is left out, so no value reaches the database unchecked.
    waiting = {str(d.id): d.id for d in decisions.pending()}
    chosen = None  # all of them
    if request.form.get("which") != "all":
        asked = request.form.getlist("decision")
        chosen = [waiting[i] for i in asked if i in waiting]
        if not asked:
            flash("Choose the letters to send, or send them all.", "error")
            return redirect(url_for("decisions.pending"))
        if not chosen:
            flash("Those letters were sent or taken back meanwhile: nothing was sent.", "warning")
            return redirect(url_for("decisions.pending"))
    seen = {  # the outcome each decision had on the page the admin sent from
        waiting[key.removeprefix("seen-")]: Outcome(value)
        for key, value in request.form.items()
        if key.startswith("seen-") and key.removeprefix("seen-") in waiting and value in OUTCOMES
    }
    report = decisions.send_pending(current_user, chosen, seen)
    for line in report.sent:
        flash(line, "success")
    for line in report.refused:
        flash(line, "error")
    if not report.sent and not report.refused:
        flash("There were no pending letters to send.", "warning")
    return redirect(url_for("decisions.pending"))


# --- letter templates ---------------------------------------------------------------------------


def _sample() -> Application:
    """An application to preview letters with: the latest submitted one, else an example."""
    found = db.session.scalar(
        db.select(Application)
        .where(Application.submitted_at.is_not(None))
        .order_by(Application.submitted_at.desc())
        .limit(1)
    )
    return found or Application(
        reference="APP-EXAMPLE",
        city_name="Mesa",
        state="AZ",
        contact_name="Jordan Clerk",
        champion_name="Sam Champion",
    )


@bp.get("/applications/letters")
def templates():
    found = letters.templates()
    db.session.commit()
    return render_template(
        "applications/decide/letters.html", templates=found, labels=letters.OUTCOME_LABELS
    )


@bp.route("/applications/letters/<outcome>", methods=["GET", "POST"])
def edit_template(outcome: str):
    try:
        outcome = Outcome(outcome)
    except ValueError:
        abort(404)
    template = letters.template_for(outcome)
    db.session.commit()
    form = LetterTemplateForm(obj=template)
    sample = _sample()
    preview = letters.build_letter(sample, outcome)
    if form.validate_on_submit():
        problem = None
        for name in ("subject", "body"):
            unknown = letters.unknown_placeholders(getattr(form, name).data)
            if unknown:
                problem = ", ".join("{" + n + "}" for n in unknown)
                getattr(form, name).errors.append(f"{problem} is not a placeholder.")
        if problem is None:
            preview = letters.build_letter(sample, outcome, form.subject.data, form.body.data)
            if form.save.data:
                try:
                    letters.save_template(outcome, form.subject.data, form.body.data)
                    db.session.commit()
                except letters.LetterError as exc:
                    db.session.rollback()
                    getattr(form, exc.field or "body").errors.append(str(exc))
                else:
                    flash(
                        f"The {letters.OUTCOME_LABELS[outcome].lower()} letter is saved: "
                        "letters not yet sent will use it.",
                        "success",
                    )
                    return redirect(url_for("decisions.templates"))
    status = 422 if form.errors else 200
    return render_template(
        "applications/decide/letter_form.html",
        form=form,
        outcome=outcome,
        label=letters.OUTCOME_LABELS[outcome],
        preview=preview,
        sample=sample,
        placeholders=letters.PLACEHOLDERS,
    ), status


# --- the selection dashboard ------------------------------------------------------------------


@bp.get("/applications/dashboard")
def dashboard():
    return render_template(
        "applications/decide/dashboard.html", board=selection_dashboard(), regions=REGIONS
    )
