from datetime import date

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from convene.accounts.forms import validate_zone, zone_choices
from convene.forms import DateRange, Form, years_from_today
from convene.summit.models import AgendaKind, SessionKind

# The network began in 2015; its summits fall after that.
SUMMITS_SINCE = date(2015, 1, 1)


def _after(first: str, message: str):
    def check(form, field):
        earlier = getattr(form, first).data
        if field.data is not None and earlier is not None and field.data <= earlier:
            raise ValidationError(message)

    return check


class SummitForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=160)])
    slug = StringField(
        "Short name in links",
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Lowercase letters, digits and dashes."),
        ],
    )
    starts_on = DateField(
        "First day", validators=[DataRequired(), DateRange(SUMMITS_SINCE, years_from_today(10))]
    )
    ends_on = DateField(
        "Last day", validators=[DataRequired(), DateRange(SUMMITS_SINCE, years_from_today(10))]
    )
    venue = StringField("Venue", validators=[DataRequired(), Length(max=200)])
    address = StringField("Address", validators=[DataRequired(), Length(max=300)])
    zone = SelectField(
        "Time zone of the venue", choices=[], validators=[DataRequired(), validate_zone]
    )
    capacity = IntegerField("Seats", validators=[DataRequired(), NumberRange(min=1, max=20_000)])
    delegation_limit = IntegerField(
        "Most people per organisation",
        validators=[DataRequired(), NumberRange(min=1, max=1000)],
        description="Counts confirmed and waitlisted registrations of each city or partner.",
    )
    registration_opens = DateTimeLocalField(
        "Registration opens",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired()],
        description="Local time at the venue.",
    )
    registration_closes = DateTimeLocalField(
        "Registration closes",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(), _after("registration_opens", "Close after it opens.")],
        description="Local time at the venue.",
    )
    asks_dietary = BooleanField("Ask for dietary needs")
    asks_accessibility = BooleanField("Ask for accessibility needs")
    asks_travel = BooleanField("Ask for arrival and departure dates")
    description = TextAreaField(
        "Description (Markdown)", validators=[Optional(), Length(max=10_000)]
    )
    submit = SubmitField("Save summit")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone.choices = zone_choices()

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError("The last day cannot be before the first.")
        if self.starts_on.data and field.data and (field.data - self.starts_on.data).days >= 14:
            raise ValidationError("A summit lasts at most two weeks.")


class RegistrationForm(Form):
    member_id = SelectField("Who is coming", coerce=int, choices=[])
    dietary_needs = StringField("Dietary needs", validators=[Optional(), Length(max=500)])
    accessibility_needs = StringField(
        "Accessibility needs", validators=[Optional(), Length(max=500)]
    )
    arrives_on = DateField("Arrival date", validators=[Optional()])
    departs_on = DateField("Departure date", validators=[Optional()])
    submit = SubmitField("Register")

    def validate_departs_on(self, field):
        if self.arrives_on.data and field.data and field.data < self.arrives_on.data:
            raise ValidationError("The departure date is before the arrival date.")


class SubstituteForm(Form):
    """The colleague taking the place answers for themselves: nothing of the previous
    delegate's (travel dates, needs) passes with it."""

    member_id = SelectField("Give the place to", coerce=int, choices=[])
    dietary_needs = StringField("Their dietary needs", validators=[Optional(), Length(max=500)])
    accessibility_needs = StringField(
        "Their accessibility needs", validators=[Optional(), Length(max=500)]
    )
    arrives_on = DateField("Their arrival date", validators=[Optional()])
    departs_on = DateField("Their departure date", validators=[Optional()])
    submit = SubmitField("Substitute")

    def validate_departs_on(self, field):
        if self.arrives_on.data and field.data and field.data < self.arrives_on.data:
            raise ValidationError("The departure date is before the arrival date.")


class AgendaItemForm(Form):
    kind = SelectField(
        "Kind", choices=[(k.value, k.value.replace("_", " ").title()) for k in AgendaKind]
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    day = DateField("Day", validators=[DataRequired()])
    starts = TimeField("Starts (local time)", validators=[DataRequired()])
    ends = TimeField(
        "Ends (local time)", validators=[DataRequired(), _after("starts", "End after it starts.")]
    )
    room = StringField("Room", validators=[Optional(), Length(max=120)])
    speakers = StringField("Speakers", validators=[Optional(), Length(max=500)])
    description = TextAreaField(
        "Description (Markdown)", validators=[Optional(), Length(max=10_000)]
    )
    is_public = BooleanField("Show on the public agenda", default=True)
    is_cancelled = BooleanField("Cancelled")
    submit = SubmitField("Save agenda item")


class SocialSessionForm(Form):
    kind = SelectField(
        "Kind",
        choices=[
            (SessionKind.OPEN.value, "Open: attendees sign up"),
            (SessionKind.ASSIGNED.value, "Assigned: seated at tables, slot by slot"),
        ],
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    place = StringField("Place", validators=[Optional(), Length(max=300)])
    day = DateField("Day (open sessions)", validators=[Optional()])
    starts = TimeField("Starts (local time)", validators=[Optional()])
    ends = TimeField(
        "Ends (local time)", validators=[Optional(), _after("starts", "End after it starts.")]
    )
    capacity = IntegerField(
        "Places (open sessions)", validators=[Optional(), NumberRange(min=1, max=10_000)]
    )
    description = TextAreaField(
        "Description (Markdown)", validators=[Optional(), Length(max=10_000)]
    )
    is_cancelled = BooleanField("Cancelled", description="It stays listed, struck through.")
    submit = SubmitField("Save session")

    def validate_capacity(self, field):
        if self.kind.data == SessionKind.OPEN.value:
            missing = [
                f.label.text
                for f in (self.day, self.starts, self.ends, self.capacity)
                if f.data is None
            ]
            if missing:
                raise ValidationError("An open session needs " + ", ".join(missing) + ".")


class SlotForm(Form):
    label = StringField(
        "Label", validators=[DataRequired(), Length(max=120)], description="For example “Night 1”."
    )
    day = DateField("Day", validators=[DataRequired()])
    starts = TimeField("Starts (local time)", validators=[DataRequired()])
    ends = TimeField(
        "Ends (local time)", validators=[DataRequired(), _after("starts", "End after it starts.")]
    )
    place = StringField("Place, if not the session's", validators=[Optional(), Length(max=300)])
    tables = IntegerField("Tables", validators=[DataRequired(), NumberRange(min=1, max=500)])
    seats = IntegerField("Seats per table", validators=[DataRequired(), NumberRange(min=1, max=50)])
    submit = SubmitField("Add slot")


class RunAssignmentForm(Form):
    seed = IntegerField(
        "Seed",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=2**31)],
        description="The same seed gives the same seating.",
    )
    submit = SubmitField("Run the assignment")


class MoveForm(Form):
    member_id = SelectField("Person", coerce=int, choices=[])
    table_id = SelectField("To table", coerce=int, choices=[])
    submit = SubmitField("Move")


class MustNotForm(Form):
    member_a_id = SelectField("Person", coerce=int, choices=[])
    member_b_id = SelectField("Keep apart from", coerce=int, choices=[])
    reason = StringField("Reason (only admins see it)", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Keep apart")


class AbsenceForm(Form):
    member_id = SelectField("Person", coerce=int, choices=[])
    slot_id = SelectField("Absent from", coerce=int, choices=[])
    submit = SubmitField("Mark absent")


class WaitlistDecisionForm(Form):
    """One waiting person: promote now, move up or down, or take off, each with a reason.

    Built with a prefix per registration, so every row of the waitlist has its own fields.
    """

    reason = StringField(
        "Reason",
        validators=[DataRequired(message="Give a reason: it is kept with the decision."),
                    Length(max=500)],
        description="Kept in the waitlist's history.",
    )  # fmt: skip
    over_capacity = BooleanField("Over capacity, if every seat is taken")
    tell_reason = BooleanField("Tell them the reason if taken off", default=True)
    promote = SubmitField("Promote now")
    up = SubmitField("Move up")
    down = SubmitField("Move down")
    remove = SubmitField("Take off the waitlist")

    def decision(self) -> str | None:
        for name in ("promote", "up", "down", "remove"):
            if getattr(self, name).data:
                return name
        return None
