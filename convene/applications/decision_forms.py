"""Forms for deciding: the decision, sending letters, editing a letter's template."""

from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from convene.applications.letters import BODY_MAX, OUTCOME_LABELS, SUBJECT_MAX
from convene.applications.models import Outcome
from convene.forms import Form


class DecisionForm(Form):
    outcome = RadioField(
        "Decision",
        choices=[(o.value, OUTCOME_LABELS[o]) for o in Outcome],
        validators=[InputRequired("Choose accept, decline or hold.")],
    )


class LetterTemplateForm(Form):
    subject = StringField(
        "Subject", validators=[InputRequired("Give the letter a subject."), Length(max=SUBJECT_MAX)]
    )
    body = TextAreaField(
        "Letter", validators=[InputRequired("Write the letter."), Length(max=BODY_MAX)]
    )
    preview = SubmitField("Preview")
    save = SubmitField("Save")
