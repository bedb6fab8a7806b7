"""The application form: step one (who and which city), then the draft it makes.

A draft saves whatever is there, so its fields only check what is typed (an address looks
like one, a number is a number); what a submission needs is intake.missing_parts's to say.
"""

from flask_wtf.file import FileField
from wtforms import (
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from convene.applications.models import SENIORITY_LABELS, Seniority
from convene.applications.places import states
from convene.forms import Form

NAME_MAX = 120
EMAIL_MAX = 254
TEXT_MAX = 4_000
POPULATION_MAX = 100_000_000  # more people than any city has

POPULATION_MESSAGE = "Give the number of people, such as 250000."

SENIORITY_CHOICES = [("", "Choose…")] + [(s.value, SENIORITY_LABELS[s]) for s in Seniority]


def state_choices() -> list[tuple[str, str]]:
    return [("", "Choose a state…"), *states()]


def _population(label: str, required: bool):
    return IntegerField(
        label,
        validators=[
            DataRequired("Give the city's population.") if required else Optional(),
            NumberRange(
                min=1, max=POPULATION_MAX, message="Give the number of people, such as 250000."
            ),
        ],
        description="Residents, as in the last census or estimate.",
        render_kw={"inputmode": "numeric"},
    )


class StartForm(Form):
    """Step one: only what decides whether the city may apply, and where to send the link."""

    email = EmailField(
        "Your email address",
        validators=[
            DataRequired("Give your email address."),
            Length(max=EMAIL_MAX),
            Email("Give an email address such as name@city.gov."),
        ],
        description="We email you a link to your draft; there is no account to make.",
    )
    contact_name = StringField(
        "Your name", validators=[DataRequired("Give your name."), Length(max=NAME_MAX)]
    )
    city_name = StringField(
        "The city", validators=[DataRequired("Give the city's name."), Length(max=NAME_MAX)]
    )
    state = SelectField("Its state", choices=[], validate_choice=False)
    population = IntegerField(
        "Its population",
        validators=[
            Optional(),
            NumberRange(
                min=1, max=POPULATION_MAX, message="Give the number of people, such as 250000."
            ),
        ],
        description="Residents, as in the last census or estimate. Leave it empty and we "
        "use the gazetteer's figure when it knows the city.",
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField("Start the application")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = state_choices()

    def validate_state(self, field) -> None:
        if not field.data:
            raise ValidationError("Choose the city's state.")
        # A value not on the list is not refused here: eligibility says why it cannot apply.


class DraftForm(Form):
    contact_name = StringField("Your name", validators=[Optional(), Length(max=NAME_MAX)])
    city_name = StringField("The city", validators=[Optional(), Length(max=NAME_MAX)])
    state = SelectField("Its state", choices=[], validate_choice=False)
    population = _population("Its population", required=False)
    letter = FileField(
        "The mayor's letter of commitment (PDF)",
        description="A signed letter from the mayor committing the city to the programme: "
        "a PDF of at most {size}.",
        render_kw={"accept": "application/pdf,.pdf"},
    )
    champion_name = StringField(
        "The champion's name", validators=[Optional(), Length(max=NAME_MAX)]
    )
    champion_title = StringField(
        "The champion's title", validators=[Optional(), Length(max=NAME_MAX)]
    )
    champion_email = EmailField(
        "The champion's email address",
        validators=[
            Optional(),
            Length(max=EMAIL_MAX),
            Email("Give an email address such as name@city.gov."),
        ],
    )
    champion_seniority = SelectField(
        "How senior the champion is", choices=SENIORITY_CHOICES, validate_choice=False
    )
    data_history = TextAreaField(
        "What the city has done with data so far",
        validators=[Optional(), Length(max=TEXT_MAX)],
        description="Open data, performance management, evaluations, 311 data, dashboards…",
    )
    resources = TextAreaField(
        "The resources the city will commit",
        validators=[Optional(), Length(max=TEXT_MAX)],
        description="People and their time, budget, tools.",
    )
    areas = SelectMultipleField(
        "The practice areas the city wants help with",
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    help_wanted = TextAreaField(
        "What the city wants help with, in its own words",
        validators=[Optional(), Length(max=TEXT_MAX)],
    )
    save = SubmitField("Save draft")
    submit = SubmitField("Submit the application")

    def __init__(self, *args, areas=(), letter_max: str = "5 MB", **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = state_choices()
        self.areas.choices = [(str(area.id), area.name) for area in areas]
        self.letter.description = self.letter.description.format(size=letter_max)

    def validate_state(self, field) -> None:
        if field.data and field.data not in {code for code, _ in self.state.choices}:
            raise ValidationError("Choose the state from the list.")

    def validate_champion_seniority(self, field) -> None:
        if field.data and field.data not in {s.value for s in Seniority}:
            raise ValidationError("Choose how senior the champion is from the list.")

    def validate_areas(self, field) -> None:
        known = {value for value, _ in field.choices}
        if any(value not in known for value in field.data or []):
            raise ValidationError("Choose the areas from the list.")

    @property
    def is_submission(self) -> bool:
        return bool(self.submit.data)


class LinksForm(Form):
    """Lost the emailed link: the links are sent again to the address that applied."""

    email = EmailField(
        "The email address you applied with",
        validators=[
            DataRequired("Give your email address."),
            Length(max=EMAIL_MAX),
            Email("Give an email address such as name@city.gov."),
        ],
    )
    submit = SubmitField("Email me my links")
