"""Forms for peer visits (areas, strengths and suggestions here; requests and reports
alongside)."""

from wtforms import (
    FloatField,
    IntegerField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from convene.forms import Form

AREA_NAME_MAX = 80
AREA_KEYWORDS_MAX = 300


class _OneMessage:
    """A value that cannot be read gets its own message only, not the range's as well."""

    unreadable = "Give a number."

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            self.data = None
            raise ValueError(self.unreadable) from exc

    def pre_validate(self, form):
        typed = any(str(v).strip() for v in self.raw_data or [])
        if self.process_errors and typed:  # an empty field is Optional's to decide
            raise StopValidation()
        super().pre_validate(form)


class WholeNumberField(_OneMessage, IntegerField):
    unreadable = "Give a whole number."


class DegreesField(_OneMessage, FloatField):
    unreadable = "Give a number of degrees, such as 38.25."


class AreaChoices(_OneMessage, SelectMultipleField):
    """Area checkboxes: an area that is gone, or a value that is not one, says so plainly."""

    unreadable = "One of the areas is no longer on the list; reload the page and try again."

    def pre_validate(self, form):
        super().pre_validate(form)
        known = {value for value, _label in self.choices}
        if any(value not in known for value in self.data or []):
            raise StopValidation(self.unreadable)


class PracticeAreaForm(Form):
    name = StringField(
        "Name",
        validators=[
            DataRequired("Give the area a name."),
            Length(min=2, max=AREA_NAME_MAX, message="Use between 2 and 80 characters."),
        ],
        render_kw={"maxlength": AREA_NAME_MAX, "autocomplete": "off"},
    )
    keywords = StringField(
        "Other words for it",
        validators=[Optional(), Length(max=AREA_KEYWORDS_MAX)],
        description=(
            "Separated by commas. Topics and calls that use the name or one of these words "
            "suggest the area to the cities that presented on them."
        ),
        render_kw={"maxlength": AREA_KEYWORDS_MAX, "autocomplete": "off"},
    )
    submit = SubmitField("Save")


class StrengthsForm(Form):
    areas = AreaChoices(
        "Areas your city can share",
        coerce=int,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # AreaChoices checks, with its own message
    )
    visits_hosted_cap = WholeNumberField(
        "Visits hosted a year, at most",
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message="Give a number from 0 to 100."),
        ],
        description="Leave empty for no limit. Cities at their limit are not suggested as hosts.",
    )
    latitude = DegreesField(
        "Latitude",
        validators=[Optional(), NumberRange(min=-90, max=90, message="From -90 to 90 degrees.")],
    )
    longitude = DegreesField(
        "Longitude",
        validators=[
            Optional(),
            NumberRange(min=-180, max=180, message="From -180 to 180 degrees."),
        ],
    )
    submit = SubmitField("Save")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if "latitude" not in self:  # only admins place a city
            return ok
        if ok and (self.latitude.data is None) != (self.longitude.data is None):
            self.longitude.errors.append("Give both the latitude and the longitude, or neither.")
            return False
        return ok


class ReportForm(Form):
    """A city's report after a visit (convene/visits/reports.py checks the links)."""

    shown = TextAreaField(
        "What was shown",
        validators=[Optional(), Length(max=10_000)],
        description="What the hosts showed and how they do it. Markdown. No HTML.",
    )
    will_try = TextAreaField(
        "What the visitors will try",
        validators=[Optional(), Length(max=10_000)],
        description="What the visiting city will take home and try first. Markdown. No HTML.",
    )
    resources = TextAreaField(
        "Links to resources",
        validators=[Optional(), Length(max=10_000)],
        description="One a line: Title | https://link",
    )
    save = SubmitField("Save as a draft")
    publish = SubmitField("Publish to the network")
