from wtforms import RadioField, SubmitField
from wtforms.fields.choices import SelectChoice

from convene.calendar.models import Reminder
from convene.forms import Form


class PreferencesForm(Form):
    calls = RadioField(
        "Which calls",
        choices=[
            SelectChoice("answered", "Only calls I said yes or maybe to"),
            SelectChoice("all", "Every call of the network"),
        ],
        default="answered",
    )
    reminder = RadioField(
        "Reminder",
        choices=[SelectChoice(r.value, r.label) for r in Reminder],
        default=Reminder.NONE.value,
    )
    submit = SubmitField("Save preferences")


class RegenerateForm(Form):
    submit = SubmitField("Revoke this link and make a new one")
