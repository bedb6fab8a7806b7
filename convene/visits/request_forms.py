"""Forms of a visit's way from request to approval: ask, answer, take other dates, approve,
and the year's travel budget. Cities and areas are chosen by slug; a slug that is not on
the list is a form error in words, not "Not a valid choice"."""

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from convene.forms import DateRange, Form, years_from_today
from convene.visits.budget import MAX_DOLLARS
from convene.visits.models import FORMAT_LABELS, VisitFormat
from convene.visits.requests import REASON_MAX, Answer

TEXT_MAX = 4_000
FORMAT_CHOICES = [(f.value, FORMAT_LABELS[f]) for f in VisitFormat]


def _days(label: str, required: bool):
    return DateField(
        label,
        validators=[
            DataRequired(f"Give the {label.lower()}.") if required else Optional(),
            DateRange(latest=years_from_today(3), message="Give a date within three years."),
        ],
    )


class VisitRequestForm(Form):
    asking_city = SelectField("The city asking", choices=[], validate_choice=False)
    host = SelectField("The city to visit", choices=[], validate_choice=False)
    area = SelectField("What to learn about", choices=[], validate_choice=False)
    visit_format = RadioField(
        "Format",
        choices=FORMAT_CHOICES,
        default=VisitFormat.SITE_VISIT.value,
        validators=[InputRequired("Choose a format.")],
    )
    starts_on = _days("First day", required=True)
    ends_on = _days("Last day", required=True)
    problem = TextAreaField(
        "What your city wants to learn about",
        validators=[DataRequired("Say what your city wants to learn about."), Length(max=TEXT_MAX)],
        description="The problem you are working on, and what you hope to see.",
    )
    intended_use = TextAreaField(
        "How your city will use what it learns",
        validators=[
            DataRequired("Say how your city will use what it learns."),
            Length(max=TEXT_MAX),
        ],
    )
    also_visiting = SelectMultipleField(
        "Other cities joining as visitors",
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    is_public = BooleanField("Show the visit's days in the network's public calendar")
    submit = SubmitField("Send the request")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        unknown_city = "That city is not in the network: choose one from the list."
        known = {
            self.host: ("Choose the city to visit.", unknown_city),
            self.area: (
                "Choose what to learn about.",
                "That area is not on the list: choose one from the list.",
            ),
        }
        if "asking_city" in self._fields:
            known[self.asking_city] = ("Choose the city asking.", unknown_city)
        for f, (missing, unknown) in known.items():
            if f.errors:
                continue
            if not f.data:
                f.errors.append(missing)
                ok = False
            elif f.data not in {value for value, _ in f.choices}:
                f.errors.append(unknown)
                ok = False
        cities = {value for value, _ in self.also_visiting.choices}
        unknown = [s for s in self.also_visiting.data or [] if s not in cities]
        if unknown:
            self.also_visiting.errors.append("Choose the other cities from the list.")
            ok = False
        return ok


class AnswerForm(Form):
    answer = RadioField(
        "Your answer",
        choices=[
            (Answer.ACCEPT, "Accept"),
            (Answer.PROPOSE, "Propose other dates"),
            (Answer.DECLINE, "Decline"),
        ],
        validators=[InputRequired("Choose to accept, decline or propose other dates.")],
    )
    reason = StringField(
        "A note for the asking city",
        validators=[Optional(), Length(max=REASON_MAX)],
        description="Needed to decline: say why, so the city can plan.",
        render_kw={"maxlength": REASON_MAX},
    )
    starts_on = _days("First day", required=False)
    ends_on = _days("Last day", required=False)
    submit = SubmitField("Send the answer")


class ProposalForm(Form):
    take = SubmitField("Take these dates")
    withdraw = SubmitField("Withdraw the request")


class ApproveForm(Form):
    travel_budget = IntegerField(
        "Travel budget (whole US dollars)",
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_DOLLARS),
        ],
        description="Optional. Counted against the year's travel budget.",
    )
    submit = SubmitField("Approve the visit")


class BudgetForm(Form):
    year = IntegerField("Year", validators=[InputRequired("Give the year.")])
    amount = IntegerField(
        "Travel budget (whole US dollars)",
        validators=[
            InputRequired("Give the budget."),
            NumberRange(min=0, max=MAX_DOLLARS),
        ],
    )
    submit = SubmitField("Save the budget")

    def validate_year(self, field) -> None:
        if field.data is not None and not 2000 <= field.data <= 2100:
            raise ValidationError("Give a year from 2000 to 2100.")
