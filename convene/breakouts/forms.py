"""The host's forms for breakout rooms: how to divide people, moving them, and who was
really in each room.

The move and presence forms have one select per person, so their classes are made for the
people in hand (`moves_form`, `presence_form`); every field still goes through
convene.forms.Form, and a value that is not one of the rooms offered is refused there.
"""

from wtforms import HiddenField, IntegerField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from convene.accounts.models import Member
from convene.breakouts.models import MAX_ROOM_SIZE, MAX_ROOMS, MIN_ROOM_SIZE
from convene.forms import Form

BY_COUNT, BY_SIZE = "count", "size"
NO_ROOM = ""

RANGES = {
    BY_COUNT: (1, MAX_ROOMS, f"Give a number of rooms from 1 to {MAX_ROOMS}."),
    BY_SIZE: (
        MIN_ROOM_SIZE,
        MAX_ROOM_SIZE,
        f"Give a number of people per room from {MIN_ROOM_SIZE} to {MAX_ROOM_SIZE}.",
    ),
}


class WholeNumberField(IntegerField):
    """An integer field that says what it wants when given text."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Give a whole number, such as 4.") from exc


class _OneOf(RadioField):
    def pre_validate(self, form) -> None:
        offered = {value for value, *_ in self.iter_choices()}
        if self.raw_data and self.data not in offered:
            raise ValidationError("Choose a number of rooms or people per room.")


class SetupForm(Form):
    divide_by = _OneOf(
        "Divide the people coming",
        choices=[
            SelectChoice(BY_COUNT, "Into a number of rooms"),
            SelectChoice(BY_SIZE, "Into rooms of a size"),
        ],  # fmt: skip
        validators=[InputRequired(message="Choose a number of rooms or people per room.")],
    )
    number = WholeNumberField(
        "Number of rooms, or people per room",
        validators=[InputRequired(message="Give the number of rooms or of people per room.")],
        description=f"At most {MAX_ROOMS} rooms (the most a video call's import takes); "
        f"rooms of {MIN_ROOM_SIZE} to {MAX_ROOM_SIZE} people.",
    )
    submit = SubmitField("Save and plan the rooms")

    def validate_divide_by(self, field) -> None:
        if len(set(field.raw_data or ())) > 1:
            raise ValidationError("Choose one: a number of rooms, or people per room.")

    def validate_number(self, field) -> None:
        rule = RANGES.get(self.divide_by.data)
        if rule is None or field.data is None:
            return
        low, high, message = rule
        if not low <= field.data <= high:
            raise ValidationError(message)

    def choice(self) -> dict:
        """The keyword planning.set_up_rooms takes for what was chosen."""
        key = "room_count" if self.divide_by.data == BY_COUNT else "room_size"
        return {key: self.number.data}


class PlanAgainForm(Form):
    submit = SubmitField("Plan again")


class TurnOffForm(Form):
    submit = SubmitField("Turn off breakout rooms")


def _room_number(value):
    if value in (None, NO_ROOM, "None"):
        return None
    return int(value)


def _room_choices(room_numbers, none_label: str) -> list[SelectChoice]:
    return [SelectChoice(NO_ROOM, none_label)] + [
        SelectChoice(str(n), f"Room {n}") for n in room_numbers
    ]


class _RoomSelect(SelectField):
    """A person's room: a number offered, or none; anything else is refused plainly."""

    def pre_validate(self, form) -> None:
        offered = {value for value, *_ in self.iter_choices()}
        if self.raw_data and self.raw_data[0] not in offered:
            raise ValidationError("Choose one of the rooms listed.")

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None  # pre_validate says why


def field_name(member_id: int) -> str:
    return f"member-{member_id}"


def _people_form(people: list[Member], room_numbers, none_label: str, submit: str):
    fields = {
        field_name(m.id): _RoomSelect(
            f"Room for {m.name}",
            choices=_room_choices(room_numbers, none_label),
            coerce=_room_number,
            validate_choice=False,
        )
        for m in people
    }
    fields["submit"] = SubmitField(submit)
    return type("PeopleRoomsForm", (Form,), fields)


def moves_form(people: list[Member], room_numbers, current: dict[int, int | None], **kwargs):
    """One select per person coming, set to their room now, and (hidden) the rooms as the
    host saw them, so that a save from a stale page is caught rather than undoing a move."""
    form_class = _people_form(people, room_numbers, "No room", "Save the moves")
    form_class.seen = HiddenField()
    data = {field_name(m.id): current.get(m.id) for m in people}
    data["seen"] = " ".join(f"{m.id}:{current.get(m.id) or 0}" for m in people)
    return form_class(data=data, **kwargs)


def seen_rooms(form) -> dict[int, int | None] | None:
    """member id -> the room the host saw (None: no room); None when the field is garbled."""
    if not (form.seen.data or "").strip():
        return None
    seen: dict[int, int | None] = {}
    for item in form.seen.data.split():
        member_id, _, number = item.partition(":")
        if not (member_id.isdigit() and number.isdigit()):
            return None
        seen[int(member_id)] = int(number) or None
    return seen


def presence_form(people: list[Member], room_numbers, current: dict[int, int | None], **kwargs):
    """One select per person who attended (or was placed), set to where they were planned
    to be, or to where they were recorded."""
    form_class = _people_form(people, room_numbers, "Not in a room", "Save who was where")
    data = {field_name(m.id): current.get(m.id) for m in people}
    return form_class(data=data, **kwargs)


def chosen_rooms(form, people: list[Member]) -> dict[int, int | None]:
    """member id -> the room number chosen (None: no room)."""
    return {m.id: form[field_name(m.id)].data for m in people}
