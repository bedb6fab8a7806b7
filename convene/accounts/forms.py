from email_validator import EmailNotValidError, validate_email
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from convene.accounts.models import OrganisationKind, Role
from convene.accounts.passwords import MIN_LENGTH
from convene.forms import Form
from convene.zones import ZoneError, zone, zone_label, zone_picker

US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
    "GU",
    "VI",
    "AS",
    "MP",
]


class EmailAddress:
    """An email address by its syntax (no DNS lookups).

    WTForms' Email() refuses the reserved .test domain, which the demo accounts use; this
    accepts it and every deliverable address, and refuses other special-use names.
    """

    message = "Enter an email address, such as name@city.gov."

    def __call__(self, form, field) -> None:
        try:
            validate_email(field.data or "", check_deliverability=False, test_environment=True)
        except EmailNotValidError as exc:
            raise ValidationError(self.message) from exc


def zone_choices(blank: str | None = None):
    """The zone picker for a select field (convene.zones.zone_picker): US zones first under
    plain names, the rest by region. Read when the form is shown or checked, once the
    field holds its value, so that a stored alias shows selected."""

    def choices(form, field) -> list[SelectChoice]:
        options = [SelectChoice("", blank)] if blank is not None else []
        current = field.data if isinstance(field.data, str) else None
        for group, value, label in zone_picker(current):
            options.append(SelectChoice(value, label, optgroup=group))
        return options

    return choices


def validate_zone(form, field) -> None:
    if field.data:
        try:
            zone(field.data)
        except ZoneError as exc:
            raise ValidationError(str(exc)) from exc


class SignInForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), EmailAddress()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class NewPasswordForm(Form):
    password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=MIN_LENGTH, max=200, message=f"Use at least {MIN_LENGTH} characters."),
        ],
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    submit = SubmitField("Set password")


class ChangePasswordForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=MIN_LENGTH, max=200, message=f"Use at least {MIN_LENGTH} characters."),
        ],
        description=f"At least {MIN_LENGTH} characters.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    submit = SubmitField("Change password")


class ChangeEmailForm(Form):
    email = EmailField(
        "New email address",
        validators=[DataRequired(), Length(max=254), EmailAddress()],
        description="We send a link to this address; it becomes yours when you open it.",
    )
    current_password = PasswordField("Current password", validators=[DataRequired()])
    submit = SubmitField("Email me a link")


class ForgotPasswordForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), EmailAddress()])
    submit = SubmitField("Email me a link")


class ProfileForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    title = StringField("Job title", validators=[Optional(), Length(max=120)])
    zone = SelectField(
        "Your time zone",
        choices=[],
        validate_choice=False,  # validate_zone explains a bad zone better than "Not a valid choice"
        validators=[Optional(), validate_zone],
        description="Times are shown in this zone. Leave blank to use your organisation's.",
    )
    video_email = EmailField(
        "Video call email (optional)",
        validators=[Optional(), Length(max=254), EmailAddress()],
        description="The address you sign in to Zoom with, if not your email. Hosts use it "
        "to place you in your breakout room when you join a call.",
    )
    submit = SubmitField("Save")

    def __init__(self, *args, organisation_zone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        same = f" ({zone_label(organisation_zone)})" if organisation_zone else ""
        self.zone.choices = zone_choices(f"Same as my organisation{same}")


class OrganisationForm(Form):
    kind = SelectField("Kind", choices=[(k.value, k.value.title()) for k in OrganisationKind])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        "Short name in links",
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Lowercase letters, digits and dashes."),
        ],
    )
    state = SelectField("US state", choices=[("", "—")] + [(s, s) for s in US_STATES])
    population = IntegerField(
        "Population", validators=[Optional(), NumberRange(min=1, max=50_000_000)]
    )
    zone = SelectField(
        "Time zone",
        choices=[],
        validate_choice=False,  # validate_zone explains a bad zone better than "Not a valid choice"
        validators=[DataRequired(), validate_zone],
    )
    website = StringField("Website", validators=[Optional(), URL(), Length(max=300)])
    submit = SubmitField("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone.choices = zone_choices()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.data == OrganisationKind.CITY:
            # Checked here, not per field: Optional() would skip a field-level check when empty.
            if not self.state.data:
                self.state.errors.append("A city needs its state.")
                valid = False
            if self.population.data is None and not self.population.errors:
                self.population.errors.append("A city needs its population.")
                valid = False
        return valid


class InviteForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), EmailAddress()])
    title = StringField("Job title", validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=[(r.value, r.value.title()) for r in Role])
    submit = SubmitField("Send invitation")


class MemberForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    title = StringField("Job title", validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=[(r.value, r.value.title()) for r in Role])
    organisation_id = SelectField("Organisation", coerce=int, choices=[])
    submit = SubmitField("Save")


class ConfirmForm(Form):
    """An empty form: a button whose POST carries only the CSRF token."""

    submit = SubmitField("Confirm")
