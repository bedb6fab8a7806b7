"""The form layer every Convene form stands on: what a view gets from a form is safe to store.

One base class instead of a validator per field, so that a new form cannot forget a rule:
- single-line fields are one trimmed line (CR, LF and tab become spaces), multi-line fields
  keep their line breaks as LF; both are free of control characters and in NFC;
- every text field has a maximum length (its `Length(max=...)`, else a default) that is
  checked before any other validator, so an email validator never reads 25 MB, and the
  value shown back in the form is cut to that length;
- whole numbers fit a database integer and dates fall in a range that makes sense (a
  field's own `DateRange`, else this century), so year 9999 or 10^20 is a form error, not
  an overflow deep in a feed or a query.
"""

from datetime import date, datetime

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    DateTimeLocalField,
    Field,
    IntegerField,
    PasswordField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, StopValidation
from wtforms.widgets import TextArea

from convene.inputs import ID_MAX, multi_line, single_line

SINGLE_LINE_MAX = 1_000
MULTI_LINE_MAX = 20_000
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)


class DateRange:
    """The dates a field accepts; `latest` may be a callable, for ranges that move with today."""

    def __init__(self, earliest: date = EARLIEST_DATE, latest=LATEST_DATE, message=None):
        self.earliest = earliest
        self.latest = latest
        self.message = message

    def bounds(self) -> tuple[date, date]:
        latest = self.latest() if callable(self.latest) else self.latest
        return self.earliest, latest

    def __call__(self, form, field) -> None:
        day = field.data.date() if isinstance(field.data, datetime) else field.data
        if day is None:
            return
        earliest, latest = self.bounds()
        if not earliest <= day <= latest:
            raise StopValidation(
                self.message or f"Give a date between {earliest:%-d %B %Y} and {latest:%-d %B %Y}."
            )


def years_from_today(years: int):
    """A moving bound for `DateRange`: the same day `years` years from today."""

    def bound() -> date:
        today = date.today()
        return today.replace(year=today.year + years, day=min(today.day, 28))

    return bound


def is_multi_line(field: Field) -> bool:
    return isinstance(field, TextAreaField) or isinstance(field.widget, TextArea)


def length_limit(field: Field) -> int:
    """The field's declared maximum, else the default for its kind."""
    for validator in field.validators:
        if isinstance(validator, Length) and validator.max and validator.max > 0:
            return validator.max
    return MULTI_LINE_MAX if is_multi_line(field) else SINGLE_LINE_MAX


def _normalise(field: Field | None, value):
    """`field` is None for a key no top-level field has, such as a FieldList entry's."""
    if not isinstance(value, str):
        return value  # an uploaded file
    if isinstance(field, PasswordField):
        return value  # typed blind: never altered beyond what every request gets
    return multi_line(value) if field is not None and is_multi_line(field) else single_line(value)


class _Guard:
    """Runs first on every field and stops the chain on a value no other validator should see."""

    def __call__(self, form, field) -> None:
        limit = form._too_long.get(field.name)
        if limit is not None:
            declared = next((v for v in field.validators if isinstance(v, Length)), None)
            if declared is not None and declared.message:
                raise StopValidation(declared.message)
            if declared is not None and declared.min > 0:
                raise StopValidation(f"Use between {declared.min} and {limit:,} characters.")
            raise StopValidation(f"Use at most {limit:,} characters.")
        if isinstance(field, IntegerField) and field.data is not None:
            low, high = _integer_bounds(field)
            if not low <= field.data <= high:
                raise StopValidation(f"Give a whole number from {low:,} to {high:,}.")
        if isinstance(field, DateField | DateTimeLocalField) and not any(
            isinstance(v, DateRange) for v in field.validators
        ):
            DateRange()(form, field)


def _integer_bounds(field: Field) -> tuple[int, int]:
    low, high = -ID_MAX - 1, ID_MAX
    for validator in field.validators:
        if isinstance(validator, NumberRange):
            if validator.min is not None:
                low = max(low, validator.min)
            if validator.max is not None:
                high = min(high, validator.max)
    return low, high


_guard = _Guard()


class Form(FlaskForm):
    """Every form's base: see the module docstring for what it guarantees."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            fields = {field.name: field for field in form._fields.values()}
            cleaned = MultiDict()
            for key in formdata:
                field = fields.get(key)
                for value in formdata.getlist(key):
                    value = _normalise(field, value)
                    if isinstance(value, str):
                        limit = length_limit(field) if field else SINGLE_LINE_MAX
                        if len(value) > limit:
                            form._too_long[key] = limit
                            value = value[:limit]  # never echo a huge value back
                    cleaned.add(key, value)
            return cleaned

    def __init__(self, *args, **kwargs):
        self._too_long: dict[str, int] = {}
        super().__init__(*args, **kwargs)
        for field in self._fields.values():
            field.validators = [_guard, *field.validators]
