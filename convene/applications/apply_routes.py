"""Applying to the programme: the public form, the draft and the status page.

No account: an applicant reaches their draft and their status page by the secret in an
emailed link, so those pages are never cached nor sent on as a referrer. Every city gets
the same answers, whoever else has applied.
"""

import hashlib

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from convene.accounts.models import normalise_email
from convene.applications.apply_forms import DraftForm, LinksForm, StartForm
from convene.applications.eligibility import (
    configured_band,
    eligibility_problem,
    population_doubt,
)
from convene.applications.intake import (
    IntakeError,
    letters_sent,
    lock_draft,
    missing_parts,
    save_draft,
    send_links_again,
    start_application,
    status_steps,
    submit_application,
)
from convene.applications.links import find_link
from convene.applications.models import (
    SENIORITY_LABELS,
    STATUS_LABELS,
    Application,
    ApplicationStatus,
    LinkPurpose,
)
from convene.applications.places import is_state, place_of, states
from convene.applications.uploads import (
    LetterError,
    letter_max_bytes,
    read_upload,
    store_letter,
)
from convene.extensions import db, limiter
from convene.visits.models import PracticeArea

bp = Blueprint("apply", __name__)

# Room in a draft's request for its text fields, beside the letter.
FORM_ALLOWANCE = 512 * 1024


def _address_key() -> str:
    return f"apply:address:{request.remote_addr}"


def _email_key() -> str:
    email = normalise_email(request.form.get("email") or "")
    return "apply:email:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]


def _started(response) -> bool:
    """Only an application actually started counts (a refused city may try again)."""
    return response.status_code == 302


def _start_limit(setting: str, key_func):
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=key_func,
        methods=["POST"],
        deduct_when=_started,
        error_message="Too many applications started. Wait an hour, then try again.",
    )


def _private(body, status: int = 200):
    """A page whose address holds a secret: not stored, not named to other sites."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


@bp.route("/apply", methods=["GET", "POST"])
@_start_limit("APPLICATION_START_RATE_LIMIT", _address_key)
@_start_limit("APPLICATION_START_DAILY_LIMIT", lambda: "apply:everyone")
@_start_limit("APPLICATION_START_RATE_LIMIT", _email_key)
def start():
    form = StartForm()
    band = configured_band()
    problem = note = None
    if form.validate_on_submit():
        city, state = form.city_name.data, form.state.data
        place = place_of(city, state)
        population = form.population.data
        if population is None and place is not None and place.population:
            population = place.population
            note = f"We used the gazetteer's population for {city}, {state}: {population:,}."
        elif population is not None and population_doubt(population, place and place.population):
            note = (
                f"The gazetteer lists about {place.population:,} people for {city}, {state}. "
                "If the figure you gave was a slip, correct it in your draft."
            )
        if not is_state(state):
            problem = eligibility_problem(state, population, band)
        elif population is None:
            form.population.errors.append(
                f"Give the city's population: we did not find {city}, {state} in our gazetteer."
            )
        else:
            problem = eligibility_problem(state, population, band)
            if problem is None:
                application, secret = start_application(
                    form.email.data, form.contact_name.data, city, state, population
                )
                db.session.commit()
                flash(
                    f"Your draft is saved. We emailed a link to it to {application.email}: "
                    "use it to come back to your application.",
                    "success",
                )
                if note:
                    flash(note, "info")
                return redirect(url_for("apply.draft", token=secret))
    return render_template(
        "applications/apply/start.html", form=form, band=band, problem=problem, note=note
    )


def _areas() -> list[PracticeArea]:
    return list(db.session.scalars(select(PracticeArea).order_by(PracticeArea.name)))


def _draft_values(application: Application) -> dict:
    return {
        "contact_name": application.contact_name,
        "city_name": application.city_name,
        "state": application.state,
        "population": application.population,
        "champion_name": application.champion_name,
        "champion_title": application.champion_title,
        "champion_email": application.champion_email,
        "champion_seniority": application.champion_seniority.value
        if application.champion_seniority
        else "",
        "data_history": application.data_history,
        "resources": application.resources,
        "help_wanted": application.help_wanted,
        "areas": [str(area.id) for area in application.areas],
    }


@bp.route("/apply/draft/<token>", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["APPLICATION_SAVE_RATE_LIMIT"],
    key_func=_address_key,
    methods=["POST"],
    error_message="Too many saves in a short time. Wait a few minutes, then try again.",
)
def draft(token: str):
    letter_max = letter_max_bytes()
    # The letter may be larger than any other form's request.
    request.max_content_length = letter_max + FORM_ALLOWANCE
    link = find_link(token, LinkPurpose.DRAFT)
    if link is None:
        return _private(render_template("applications/apply/link_expired.html"), 404)
    application = link.application
    areas = _areas()
    if request.method == "POST":
        form = DraftForm(areas=areas, letter_max=_size(letter_max))
    else:
        form = DraftForm(areas=areas, letter_max=_size(letter_max), data=_draft_values(application))
    status = 200
    if form.validate_on_submit():
        response = _save(application, form, areas, token)
        if response is not None:
            return response
        status = 400
    elif request.method == "POST":
        status = 400
    return _private(_draft_page(application, form), status)


def _save(application: Application, form: DraftForm, areas: list[PracticeArea], token: str):
    """Save the draft (and submit it, for Submit); None, with the form's errors, if not."""
    upload = form.letter.data
    has_upload = bool(getattr(upload, "filename", None))
    try:
        application = lock_draft(application)
        chosen = {int(value) for value in form.areas.data or []}
        save_draft(
            application,
            {name: form[name].data for name in _draft_values(application) if name != "areas"},
            [area for area in areas if area.id in chosen],
        )
        if has_upload:
            data = read_upload(upload.stream, letter_max_bytes())
            store_letter(db.session(), application, data, upload.filename)
        if form.is_submission:
            db.session.flush()
            missing = missing_parts(application)
            if missing:
                for name, message in missing:
                    form[name if name != "letter_file" else "letter"].errors.append(message)
                if has_upload and not form.letter.errors:
                    form.letter.errors.append("Choose the letter again: nothing was saved.")
                db.session.rollback()
                return None
            secret = submit_application(application)
            db.session.commit()
            flash(
                f"Your application is submitted. Its reference is {application.reference}; "
                "we emailed you a link to this page.",
                "success",
            )
            return redirect(url_for("apply.status", token=secret))
        db.session.commit()
    except LetterError as exc:
        db.session.rollback()
        form.letter.errors.append(str(exc))
        return None
    except IntakeError as exc:
        db.session.rollback()
        field = form._fields.get(exc.field or "")
        if field is not None:
            field.errors.append(str(exc))
        else:
            form.form_errors.append(str(exc))
        return None
    flash("Your draft is saved.", "success")
    return redirect(url_for("apply.draft", token=token))


def _draft_page(application: Application, form: DraftForm):
    place = place_of(application.city_name, application.state)
    known = place.population if place is not None else None
    return render_template(
        "applications/apply/draft.html",
        application=application,
        form=form,
        known_population=known if population_doubt(application.population, known) else None,
        submitted=application.status != ApplicationStatus.DRAFT,
    )


@bp.get("/apply/status/<token>")
def status(token: str):
    link = find_link(token, LinkPurpose.STATUS)
    if link is None:
        return _private(render_template("applications/apply/link_expired.html", status=True), 404)
    application = link.application
    return _private(
        render_template(
            "applications/apply/status.html",
            application=application,
            steps=status_steps(application),
            letters=letters_sent(application),
            seniority_labels=SENIORITY_LABELS,
            status_labels=STATUS_LABELS,
            state_names=dict(states()),
        )
    )


def _links_limit(key_func):
    return limiter.limit(
        lambda: current_app.config["APPLICATION_START_RATE_LIMIT"],
        key_func=key_func,
        methods=["POST"],
        error_message="Too many requests for links. Wait an hour, then try again.",
    )


@bp.route("/apply/links", methods=["GET", "POST"])
@_links_limit(_address_key)
@_links_limit(_email_key)
def links():
    """The same answer for any address, so it tells nobody whether someone has applied."""
    form = LinksForm()
    if form.validate_on_submit():
        send_links_again(form.email.data)
        db.session.commit()
        return render_template("applications/apply/links.html", form=form, sent=form.email.data)
    return render_template("applications/apply/links.html", form=form, sent=None)
