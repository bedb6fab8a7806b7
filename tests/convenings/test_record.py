from datetime import UTC, datetime, timedelta

import pytest

from convene.convenings.errors import CallError
from convene.convenings.models import CallStatus
from convene.convenings.record import parse_resources, record_call, save_agenda
from convene.extensions import db
from convene.text import render_markdown


def test_agenda_markdown_is_rendered_and_no_raw_html_passes(make_call):
    call = make_call()
    save_agenda(call, "Open data", "1. **Intro**\n<script>alert(1)</script>\n<b onclick=x>hi</b>")
    db.session.commit()
    html = str(render_markdown(call.agenda))
    assert "<strong>Intro</strong>" in html
    assert "<script" not in html and "<b " not in html
    assert "&lt;script&gt;" in html  # shown as text, never run


def test_a_new_title_bumps_the_revision_the_agenda_alone_does_not(make_call):
    call = make_call()
    assert save_agenda(call, "311 data", "Agenda") is True
    assert call.revision == 1
    assert save_agenda(call, "311 data", "New agenda") is False
    assert call.revision == 1 and call.agenda == "New agenda"


def test_resources_parse_one_a_line_with_a_clear_message():
    assert [
        (r.title, r.url) for r in parse_resources("Guide | https://a.org/x\n\nhttps://b.org")
    ] == [
        ("Guide", "https://a.org/x"),
        ("https://b.org", "https://b.org"),
    ]
    with pytest.raises(CallError, match="Line 2"):
        parse_resources("ok | https://a.org\nnot a link | javascript:alert(1)")


def test_record_after_the_call_marks_it_held(make_call, make_member):
    call = make_call(starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
    people = [make_member(), make_member()]
    record_call(call, "Notes", parse_resources("Deck | https://a.org/deck"), [p.id for p in people])
    db.session.commit()
    assert call.status == CallStatus.HELD
    assert sorted(a.member_id for a in call.attendances) == sorted(p.id for p in people)
    record_call(call, "Notes again", [], [people[0].id])
    db.session.commit()
    assert [a.member_id for a in call.attendances] == [people[0].id]
    assert call.resources == [] and call.notes == "Notes again"


def test_record_refused_before_the_call(make_call):
    call = make_call()
    with pytest.raises(CallError, match="once the call has started"):
        record_call(call, "Notes", [], [])
    assert call.status == CallStatus.SCHEDULED and call.notes is None


def test_record_refuses_unknown_people_and_changes_nothing(make_call, make_member):
    call = make_call(starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
    with pytest.raises(CallError, match="not active members"):
        record_call(call, "Notes", [], [make_member().id, 999_999])
    assert call.notes is None and call.attendances == []
