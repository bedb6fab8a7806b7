"""The form layer: what every Convene form guarantees before a view sees its data."""

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    FieldList,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from convene.forms import MULTI_LINE_MAX, SINGLE_LINE_MAX, DateRange, Form

calls = []


def spy(form, field):
    calls.append(field.name)


class Example(Form):
    title = StringField(validators=[Length(max=50), spy])
    name = StringField(validators=[spy])
    notes = TextAreaField()
    password = PasswordField()
    count = IntegerField(validators=[NumberRange(1, 10)])
    identifier = IntegerField()
    day = DateField()
    summit_day = DateField(validators=[DateRange(date(2015, 1, 1), date(2030, 12, 31))])
    hosts = FieldList(SelectField(choices=[("", "-"), ("1", "A")]), min_entries=2)

    def validate_name(self, field):
        if field.data == "forbidden":
            raise ValidationError("Not that name.")


def form(app, **values) -> Example:
    with app.test_request_context(method="POST"):
        return Example(MultiDict(values), meta={"csrf": False})


def test_single_line_fields_become_one_line(app):
    f = form(app, title="  Open\r\ndata\x00 day\t", notes="one\r\ntwo\x00\n", password=" p\tw ")
    assert f.title.data == "Open data day"
    assert f.notes.data == "one\ntwo"
    assert f.password.data == " p\tw "  # passwords are never altered


def test_a_field_list_entry_is_cleaned_too(app):
    f = form(app, **{"hosts-0": "1\r\n", "hosts-1": "x" * 5000})
    assert f.hosts[0].data == "1"
    assert len(f.hosts[1].data) == SINGLE_LINE_MAX


def test_length_is_checked_before_any_other_validator_and_the_value_is_cut(app):
    calls.clear()
    f = form(app, title="t" * 5000, name="n" * (SINGLE_LINE_MAX + 1))
    assert not f.validate()
    assert calls == []  # neither spy ran on an over-long value
    assert f.title.errors == ["Use at most 50 characters."]
    assert f.name.errors == [f"Use at most {SINGLE_LINE_MAX:,} characters."]
    assert len(f.title.data) == 50 and len(f.name.data) == SINGLE_LINE_MAX
    assert len(f.notes.data or "") <= MULTI_LINE_MAX


def test_inline_validators_still_run_on_good_values(app):
    f = form(app, name="forbidden")
    assert not f.validate()
    assert f.name.errors == ["Not that name."]


def test_whole_numbers_stay_in_range(app):
    f = form(app, count="100000000000000000000", identifier="-99999999999")
    assert not f.validate()
    assert f.count.errors == ["Give a whole number from 1 to 10."]
    assert f.identifier.errors == ["Give a whole number from -2,147,483,648 to 2,147,483,647."]


def test_dates_stay_in_a_range_that_makes_sense(app):
    f = form(app, day="9999-12-31", summit_day="2031-01-01")
    assert not f.validate()
    assert f.day.errors == ["Give a date between 1 January 2000 and 31 December 2099."]
    assert f.summit_day.errors == ["Give a date between 1 January 2015 and 31 December 2030."]
    good = form(app, day="2026-11-01", summit_day="2027-04-13", count="3")
    good.validate()
    assert not good.day.errors and not good.summit_day.errors


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.sampled_from(["title", "name", "notes", "count", "day"]), st.text()))
def test_any_input_validates_without_raising(app, values):
    f = form(app, **values)
    f.validate()
    for field in (f.title, f.name):
        assert "\n" not in (field.data or "") and "\x00" not in (field.data or "")


class Required(Form):
    email = StringField(validators=[DataRequired(), Length(max=254)])


def test_a_real_form_refuses_a_huge_email_at_once(app):
    with app.test_request_context(method="POST"):
        f = Required(MultiDict({"email": "a" * 1_000_000}), meta={"csrf": False})
        assert not f.validate()
        assert f.email.errors == ["Use at most 254 characters."]
