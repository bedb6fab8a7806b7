"""Forms of the review side: conflicts, the review itself, meetings, reviewers, criteria."""

from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from convene.applications.meetings import DURATION_MAX
from convene.applications.models import SCORE_MAX, SCORE_MIN
from convene.applications.rubric import WEIGHT_MAX
from convene.forms import Form

NOT_SCORED = ""


class ConflictForm(Form):
    reason = StringField("Why (optional, seen by admins)", validators=[Optional(), Length(max=300)])
    submit = SubmitField("Declare a conflict")


def score_field_name(criterion_id: int) -> str:
    return f"score_{criterion_id}"


class _ReviewBase(Form):
    comments = TextAreaField("Comments", validators=[Optional(), Length(max=10_000)])
    save = SubmitField("Save draft")
    submit_review = SubmitField("Submit")

    criteria: list = []

    def scores(self) -> dict[int, int | None]:
        values = {}
        for criterion in self.criteria:
            raw = getattr(self, score_field_name(criterion.id)).data
            values[criterion.id] = int(raw) if raw not in (None, NOT_SCORED) else None
        return values


def review_form(criteria, *args, **kwargs) -> _ReviewBase:
    """A form with a 1-5 select per criterion in use (its guidance as help text)."""
    choices = [(NOT_SCORED, "Not scored yet")] + [
        (str(n), str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)
    ]

    class ReviewForm(_ReviewBase):
        pass

    for criterion in criteria:
        label = f"{criterion.name} (weight {criterion.weight:g})"
        setattr(
            ReviewForm,
            score_field_name(criterion.id),
            SelectField(
                label, choices=choices, default=NOT_SCORED, description=criterion.guidance or ""
            ),
        )
    form = ReviewForm(*args, **kwargs)
    form.criteria = list(criteria)
    return form


class MeetingForm(Form):
    day = DateField("Day", validators=[DataRequired("Give the day.")])
    starts_time = TimeField(
        "Starts (the city's time)", validators=[DataRequired("Give a time, as HH:MM.")]
    )
    duration_minutes = IntegerField(
        "Length in minutes",
        default=60,
        validators=[
            DataRequired("Give a length in minutes."),
            NumberRange(1, DURATION_MAX, f"Give a length from 1 to {DURATION_MAX} minutes."),
        ],
    )
    location = StringField(
        "Where (a place or a video link)", validators=[Optional(), Length(max=300)]
    )
    submit = SubmitField("Save the meeting")


class NotesForm(Form):
    notes = TextAreaField("Notes from the meeting", validators=[Optional(), Length(max=20_000)])
    submit = SubmitField("Save the notes")


class MarkReviewerForm(Form):
    email = StringField(
        "Email of an admin or a partner's staff member",
        validators=[DataRequired("Give an email address."), Email(), Length(max=254)],
    )
    submit = SubmitField("Mark as reviewer")


class CriterionForm(Form):
    name = StringField(
        "Name", validators=[DataRequired("Give the criterion a name."), Length(max=120)]
    )
    guidance = TextAreaField("Guidance for reviewers", validators=[Optional(), Length(max=500)])
    weight = FloatField(
        "Weight",
        default=1.0,
        validators=[
            DataRequired("Give a weight above 0, such as 1 or 1.5."),
            NumberRange(0.01, WEIGHT_MAX, f"Give a weight above 0 and at most {WEIGHT_MAX:g}."),
        ],
    )
    active = BooleanField("In use", default=True)
    submit = SubmitField("Save the criterion")
