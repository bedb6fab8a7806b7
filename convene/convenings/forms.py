from datetime import date, time

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from convene.accounts.forms import validate_zone, zone_choices
from convene.convenings.models import RsvpAnswer
from convene.forms import DateRange, Form, years_from_today
from convene.inputs import ID_MAX

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ROTATION_PLACES = 8


class SeriesForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    first_date = DateField(
        "First date",
        validators=[
            DataRequired(message="Give the first date, as YYYY-MM-DD."),
            DateRange(latest=years_from_today(5)),
        ],
        description="If it is not on the weekday below, the series starts on the next one.",
    )
    weekday = SelectField("Weekday", coerce=int, choices=list(enumerate(WEEKDAYS)))
    local_time = TimeField(
        "Local time", validators=[DataRequired(message="Give the time, as HH:MM.")]
    )
    zone = SelectField(
        "Time zone",
        choices=[],
        validators=[DataRequired(), validate_zone],
        description="The call keeps this wall-clock time across daylight-saving changes.",
    )
    interval_weeks = IntegerField(
        "Every how many weeks", default=2, validators=[DataRequired(), NumberRange(1, 8)]
    )
    duration_minutes = IntegerField(
        "Duration in minutes", default=60, validators=[DataRequired(), NumberRange(5, 480)]
    )
    horizon_weeks = IntegerField(
        "Schedule calls this many weeks ahead",
        default=26,
        validators=[DataRequired(), NumberRange(1, 104)],
    )
    video_url = StringField(
        "Video link",
        validators=[Optional(), URL(message="A full link, https://…"), Length(max=500)],
    )
    dial_in_number = StringField("Dial-in number", validators=[Optional(), Length(max=40)])
    dial_in_code = StringField("Dial-in access code", validators=[Optional(), Length(max=40)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    rotation = FieldList(
        SelectField("Host", choices=[], validators=[Optional()]),
        min_entries=ROTATION_PLACES,
        max_entries=ROTATION_PLACES,
    )
    skips = TextAreaField(
        "Skipped dates",
        validators=[Optional(), Length(max=5000)],
        description="One a line: the date, then why. For example: 2026-12-24 Christmas Eve",
    )
    # The rotation as the form showed it, and the plan the admin confirms (see series_editing).
    rotation_seen = HiddenField(validators=[Optional(), Length(max=200)])
    plan_key = HiddenField(validators=[Optional(), Length(max=64)])
    submit = SubmitField("Save series")
    confirm = SubmitField("Save these changes")
    revise = SubmitField("Change something")

    CONTROLS = ("csrf_token", "plan_key", "submit", "confirm", "revise")

    def __init__(self, partners, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone.choices = zone_choices()
        choices = [("", "—")] + [(str(p.id), p.name) for p in partners]
        for place, entry in enumerate(self.rotation, start=1):
            entry.choices = choices
            entry.label.text = "Next turn" if place == 1 else f"Then {place}"

    def rotation_ids(self) -> list[int]:
        return [int(entry.data) for entry in self.rotation if entry.data]

    def seen_rotation(self) -> list[int] | None:
        """The partner ids the form was shown with; None if absent or not a list of ids."""
        parts = (self.rotation_seen.data or "").split(",")
        if not all(p.isascii() and p.isdigit() and int(p) <= ID_MAX for p in parts):
            return None
        return [int(p) for p in parts]

    def carried(self) -> list[tuple[str, str]]:
        """Each value as submitted, for the confirm page to send again unchanged."""
        pairs = []
        for name, f in self._fields.items():
            if name in self.CONTROLS:
                continue
            for entry in f if isinstance(f, FieldList) else [f]:
                data = entry.data
                if isinstance(data, time):
                    data = data.strftime("%H:%M")
                elif isinstance(data, date):
                    data = data.isoformat()
                pairs.append((entry.name, "" if data is None else str(data)))
        return pairs

    def validate_rotation(self, field):
        if not any(entry.data for entry in field):
            raise ValidationError("Choose at least one host partner.")


class MoveForm(Form):
    day = DateField(
        "New date",
        validators=[
            DataRequired(message="Give a date, as YYYY-MM-DD."),
            DateRange(latest=years_from_today(5)),
        ],
    )
    wall_time = TimeField(
        "New start time", validators=[DataRequired(message="Give a time, as HH:MM.")]
    )
    zone = SelectField("In the time zone", choices=[], validators=[DataRequired(), validate_zone])
    duration_minutes = IntegerField(
        "Duration in minutes", validators=[DataRequired(), NumberRange(5, 480)]
    )
    # Shown only when the new time is near another call of the series.
    move_anyway = BooleanField("Move it anyway")
    submit = SubmitField("Move the call")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone.choices = zone_choices()


class CancelForm(Form):
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired(message="Give a reason."), Length(max=300)],
        description="Sent to everyone who answered the RSVP.",
    )
    submit = SubmitField("Cancel the call")


class ReinstateForm(Form):
    submit = SubmitField("Bring the call back")


class AgendaForm(Form):
    title = StringField("Topic", validators=[Optional(), Length(max=200)])
    agenda = TextAreaField(
        "Agenda",
        validators=[Optional(), Length(max=20_000)],
        description="Markdown: lists, links, bold. No HTML.",
    )
    submit = SubmitField("Save agenda")


class RecordForm(Form):
    notes = TextAreaField(
        "Notes", validators=[Optional(), Length(max=50_000)], description="Markdown. No HTML."
    )
    resources = TextAreaField(
        "Resources shared",
        validators=[Optional(), Length(max=10_000)],
        description="One a line: Title | https://link",
    )
    attendees = SelectMultipleField(
        "Who attended",
        coerce=int,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
    submit = SubmitField("Save the record")


class RsvpForm(Form):
    answer = SelectField("Your answer", choices=[(a.value, a.value.title()) for a in RsvpAnswer])


class SwapForm(Form):
    other_call_id = SelectField(
        "Swap for this call", coerce=int, choices=[], validators=[DataRequired()]
    )
    message = TextAreaField(
        "Message to the other partner", validators=[Optional(), Length(max=500)]
    )
    submit = SubmitField("Ask for the swap")


class ReassignForm(Form):
    organisation_id = SelectField("New host partner", coerce=int, choices=[])
    submit = SubmitField("Reassign")


class ArchiveSearchForm(Form):
    class Meta:
        csrf = False

    q = StringField("Search by topic or notes", validators=[Optional(), Length(max=100)])
