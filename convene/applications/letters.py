"""Decision letters: one editable template per outcome, and the letter built from it.

A letter is built when it is sent, never when it is decided, so a template edited while
decisions wait applies to every letter not yet sent (and a sent letter is kept as it went).
Placeholders are plain names in braces, `{city}`; they are filled by a regular expression
rather than `str.format`, so a template can never reach an attribute of what it is given,
and a misspelt name is refused when the template is saved instead of leaving a gap in a
letter.
"""

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from convene.applications.models import Application, LetterTemplate, Outcome
from convene.extensions import db

SUBJECT_MAX = 200
BODY_MAX = 20_000

PLACEHOLDERS = {
    "city": "the city's name (Mesa)",
    "state": "its state (AZ)",
    "city_label": "both (Mesa, AZ)",
    "reference": "the application's reference (APP-7K3Q9M)",
    "contact_name": "the person who applied",
    "champion_name": "the proposed champion",
    "programme": "the programme's name",
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

OUTCOME_LABELS = {
    Outcome.ACCEPT: "Accept",
    Outcome.DECLINE: "Decline",
    Outcome.HOLD: "Hold",
}

DEFAULTS = {
    Outcome.ACCEPT: (
        "{programme}: welcome, {city_label}",
        "Dear {contact_name},\n\n"
        "We are delighted to tell you that {city_label} has been accepted into {programme} "
        "(application {reference}).\n\n"
        "{champion_name}, your city's champion, will receive an invitation to Convene, where "
        "the network's calls, topics and summit are arranged. From there they can invite "
        "colleagues.\n\n"
        "We look forward to learning alongside you.\n\n"
        "The {programme} team\n",
    ),
    Outcome.DECLINE: (
        "{programme}: your application for {city_label}",
        "Dear {contact_name},\n\n"
        "Thank you for applying to {programme} for {city_label} (application {reference}). "
        "After careful review, the committee is not able to offer {city} a place at this "
        "time.\n\n"
        "This is not a judgement on your city's commitment to using data well. We hope you "
        "will stay in touch and apply again.\n\n"
        "The {programme} team\n",
    ),
    Outcome.HOLD: (
        "{programme}: your application for {city_label} is on hold",
        "Dear {contact_name},\n\n"
        "Thank you for applying to {programme} for {city_label} (application {reference}). "
        "The committee would like to keep your application open and come back to it in a "
        "later round. You do not need to do anything now; we will write again with a "
        "decision.\n\n"
        "The {programme} team\n",
    ),
}


class LetterError(ValueError):
    """A template the letters cannot be built from; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


def templates() -> dict[Outcome, LetterTemplate]:
    """Every outcome's template, the defaults created for any missing (one query when all
    exist)."""
    found = {t.outcome: t for t in db.session.scalars(select(LetterTemplate))}
    for outcome in Outcome:
        if outcome not in found:
            subject, body = DEFAULTS[outcome]
            found[outcome] = LetterTemplate(outcome=outcome, subject=subject, body=body)
            db.session.add(found[outcome])
    if db.session.new:
        db.session.flush()
    return {outcome: found[outcome] for outcome in Outcome}


def template_for(outcome: Outcome) -> LetterTemplate:
    return templates()[Outcome(outcome)]


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text or "") if name not in PLACEHOLDERS})


def save_template(outcome: Outcome, subject: str, body: str) -> LetterTemplate:
    """Change a template; letters already sent keep the words they went with."""
    for field, text in (("subject", subject), ("body", body)):
        if not (text or "").strip():
            raise LetterError(f"The {field} cannot be empty.", field=field)
        unknown = unknown_placeholders(text)
        if unknown:
            names = ", ".join("{" + n + "}" for n in unknown)
            known = ", ".join("{" + n + "}" for n in PLACEHOLDERS)
            raise LetterError(f"{names} is not a placeholder; use {known}.", field=field)
    if len(subject) > SUBJECT_MAX:
        raise LetterError(f"Keep the subject under {SUBJECT_MAX} characters.", field="subject")
    if len(body) > BODY_MAX:
        raise LetterError(f"Keep the letter under {BODY_MAX} characters.", field="body")
    template = template_for(outcome)
    template.subject, template.body = subject.strip(), body.strip() + "\n"
    return template


def values_for(application: Application) -> dict[str, str]:
    """What the placeholders stand for, for one application (never None)."""
    return {
        "city": application.city_name,
        "state": application.state,
        "city_label": application.city_label,
        "reference": application.reference,
        "contact_name": application.contact_name or "colleague",
        "champion_name": application.champion_name or "your proposed champion",
        "programme": current_app.config.get("PROGRAMME_NAME") or "the programme",
    }


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each known placeholder replaced; anything else in braces stays."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")


def build_letter(application: Application, outcome: Outcome, subject=None, body=None) -> Letter:
    """The letter for this application from the outcome's template as it is now (or from
    the given words, for a preview of an edit not yet saved)."""
    if subject is None or body is None:
        template = template_for(outcome)
        subject, body = template.subject, template.body
    values = values_for(application)
    one_line = " ".join(fill(subject, values).split())
    return Letter(subject=one_line[:SUBJECT_MAX], body=fill(body, values))
