from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from convene.forms import Form
from convene.notifications.models import MailChoice, MailTopic
from convene.notifications.preferences import CHOICE_LABELS, TOPIC_LABELS, choices_offered


class MailChoiceForm(Form):
    """One topic's choice; the preferences page shows one per topic (prefixed by it).
    `chosen` is for showing the current choice, never for reading a submission."""

    choice = RadioField("How", validators=[InputRequired(message="Choose one.")])
    submit = SubmitField("Save")

    def __init__(self, topic: MailTopic, chosen: MailChoice | None = None, **kwargs):
        super().__init__(prefix=topic.value, **kwargs)
        self.topic = topic
        self.choice.label.text = TOPIC_LABELS[topic]
        self.choice.choices = [(c.value, CHOICE_LABELS[c]) for c in choices_offered(topic)]
        if chosen is not None:
            self.choice.data = chosen.value


class UnsubscribeForm(Form):
    """The button on an unsubscribe link's page. No CSRF token: the link's signed token is
    the authority, and RFC 8058 has mail clients post without cookies or a form token."""

    class Meta:
        csrf = False

    submit = SubmitField("Unsubscribe")
