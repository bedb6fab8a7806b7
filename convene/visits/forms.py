"""Forms for peer visits (areas, strengths and suggestions here; requests and reports
alongside)."""

import math

from wtforms import (
    FloatField,
    IntegerField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from convene.forms import Form

AREA_NAME_MAX = 80
AREA_KEYWORDS_MAX = 300


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
    areas = SelectMultipleField(
        "Areas your city can share",
        coerce=int,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
    visits_hosted_cap = IntegerField(
        "Visits hosted a year, at most",
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message="Give a number from 0 to 100."),
        ],
        description="Leave empty for no limit. Cities at their limit are not suggested as hosts.",
    )
    latitude = FloatField(
        "Latitude",
        validators=[Optional(), NumberRange(min=-90, max=90, message="From -90 to 90 degrees.")],
    )
    longitude = FloatField(
        "Longitude",
        validators=[
            Optional(),
            NumberRange(min=-180, max=180, message="From -180 to 180 degrees."),
        ],
    )
    submit = SubmitField("Save")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for f in (self.latitude, self.longitude):
            if f.data is not None and not math.isfinite(f.data):
                f.errors.append("Give a number of degrees.")
                ok = False
        if ok and (self.latitude.data is None) != (self.longitude.data is None):
            self.longitude.errors.append("Give both the latitude and the longitude, or neither.")
            return False
        return ok
