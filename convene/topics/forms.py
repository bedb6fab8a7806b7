from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange
from wtforms.widgets import TextArea

from convene.forms import Form
from convene.topics.models import TITLE_MAX
from convene.topics.proposals import DESCRIPTION_MAX, REASON_MAX


class TopicForm(Form):
    title = StringField(
        "Title",
        validators=[DataRequired("Give the topic a title."), Length(min=3, max=TITLE_MAX)],
        description="What should a call be about? Similar topics appear as you type.",
        render_kw={"autocomplete": "off", "maxlength": TITLE_MAX},
    )
    description = StringField(
        "Description",
        widget=TextArea(),
        validators=[Length(max=DESCRIPTION_MAX)],
        description="Why it matters and what you hope to learn. Markdown works.",
    )
    will_share_experience = BooleanField(
        "We can share our experience",
        description="Your city or organisation offers to present what it has done.",
    )
    propose_anyway = BooleanField("Propose it anyway: it is not one of the topics above")
    submit = SubmitField("Propose topic")


class VoteForm(Form):
    # The state the member asks for: a repeated request never flips the vote back.
    support = HiddenField(validators=[AnyOf(["yes", "no"])])
    next = HiddenField()


class DeclineForm(Form):
    reason = StringField(
        "Reason for declining",
        validators=[DataRequired("Give a reason."), Length(max=REASON_MAX)],
    )
    submit = SubmitField("Decline topic")


class MergeForm(Form):
    into = SelectField("Merge into", coerce=int, validators=[DataRequired()])
    submit = SubmitField("Merge")


class ChooseTopicForm(Form):
    topic_id = IntegerField(validators=[DataRequired()])


class SettingsForm(Form):
    vote_budget = IntegerField(
        "Open votes per member",
        validators=[DataRequired(), NumberRange(min=1, max=50)],
        description="How many open topics each member may support at once.",
    )
    submit = SubmitField("Save")
