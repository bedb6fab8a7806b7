"""Forms for a scheduled visit: its people, its itinerary, moving and cancelling it."""

from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from convene.forms import DateRange, Form, years_from_today

WITHIN_FIVE_YEARS = DateRange(latest=years_from_today(5))


class NamePersonForm(Form):
    member_id = SelectField(
        "Person", coerce=int, choices=[], validators=[DataRequired("Choose someone.")]
    )
    submit = SubmitField("Name them")


class ItineraryItemForm(Form):
    title = StringField(
        "What",
        validators=[DataRequired("Give the item a title."), Length(max=200)],
        render_kw={"maxlength": 200},
    )
    day = DateField(
        "Day",
        validators=[
            DataRequired("Give a day, as YYYY-MM-DD."),
            DateRange(latest=years_from_today(5)),
        ],
    )
    starts = TimeField("Starts", validators=[DataRequired("Give a time, as HH:MM.")])
    ends = TimeField("Ends", validators=[DataRequired("Give a time, as HH:MM.")])
    place = StringField("Where", validators=[Optional(), Length(max=300)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2_000)])
    submit = SubmitField("Save the item")


class MoveVisitForm(Form):
    starts_on = DateField(
        "New first day",
        validators=[
            DataRequired("Give a date, as YYYY-MM-DD."),
            DateRange(latest=years_from_today(5)),
        ],
    )
    ends_on = DateField(
        "New last day",
        validators=[
            DataRequired("Give a date, as YYYY-MM-DD."),
            DateRange(latest=years_from_today(5)),
        ],
    )
    submit = SubmitField("Move the visit")


class CancelVisitForm(Form):
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Say why the visit is cancelled."), Length(max=300)],
        description="Sent to the people named on the visit and the champions of its cities.",
    )
    submit = SubmitField("Cancel the visit")


class ReinstateVisitForm(Form):
    submit = SubmitField("Bring the visit back")
