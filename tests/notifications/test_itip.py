"""iTIP over email: the MIME shape every client shows as a meeting, one event per message,
and the suite-wide check of every invitation the tests send (`itip_problems`, run by
tests/conftest.py after the last test on everything its SMTP server received)."""

import base64
import email
import email.policy
import re
from collections.abc import Iterable
from email.utils import getaddresses

import pytest
import vobject
from icalendar import Calendar

from convene.calendar.invitations import CANCEL, REQUEST, call_event, invitation
from convene.extensions import db
from convene.notifications.models import OutboxMessage
from convene.notifications.outbox import (
    Attachment,
    TooManyInvitations,
    _to_mail,
    deliver_pending,
    html_from_text,
    one_invitation,
    queue_email,
)

ADDRESS = re.compile(r"mailto:[^@\s]+@[^@\s]+", re.IGNORECASE)
# Every UID names its row ("call-12@convene"): one made up per message would duplicate
# the event in calendars instead of updating it.
UID = re.compile(r"[a-z]+(?:-[a-z]+)*-\d+@\S+")


# --- the suite-wide check --------------------------------------------------------------------


def calendar_parts(message) -> list:
    return [p for p in message.walk() if p.get_content_type() == "text/calendar"]


def _shape_problems(message) -> list[str]:
    problems = []
    parts = calendar_parts(message)
    if len(parts) != 1:
        return [f"{len(parts)} text/calendar parts (one event per message)"]
    (part,) = parts
    alternatives = [p for p in message.walk() if p.get_content_type() == "multipart/alternative"]
    holder = next((a for a in alternatives if part in a.get_payload()), None)
    if holder is None:
        problems.append("the text/calendar part is not inside a multipart/alternative")
    else:
        kinds = [p.get_content_type() for p in holder.get_payload()]
        if kinds != ["text/plain", "text/html", "text/calendar"]:
            problems.append(f"the alternative holds {kinds}")
    if part.get_content_disposition() == "attachment":
        problems.append("the text/calendar part is an attachment")
    if (part.get_content_charset() or "").lower() != "utf-8":
        problems.append("the text/calendar part has no charset=utf-8")
    files = [p for p in message.walk() if p.get_content_type() == "application/ics"]
    for file in files:
        if file.get_payload(decode=True) != part.get_payload(decode=True):
            problems.append("the application/ics attachment differs from the inline part")
        if file.get_filename() != "invite.ics":
            problems.append(f"the attachment is named {file.get_filename()!r}")
    return problems


def _event_problems(message, method: str, data: bytes) -> tuple[list[str], dict | None]:
    problems = []
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    if len(events) != 1:
        return [f"{len(events)} VEVENTs"], None
    (event,) = events
    if str(calendar.get("METHOD", "")) != method:
        problems.append(f"METHOD {calendar.get('METHOD')} under method={method}")
    parsed = vobject.readOne(data.decode("utf-8"))
    if parsed.method.value != method or len(parsed.vevent_list) != 1:
        problems.append("vobject reads another method or more than one event")
    if str(parsed.vevent.uid.value) != str(event["UID"]):
        problems.append("vobject reads another UID")
    uid = str(event.get("UID", ""))
    if not UID.fullmatch(uid):
        problems.append(f"UID {uid!r} names no row")
    if str(calendar.get("UID", "")) != f"invitation-{uid}":
        problems.append("the calendar's UID is not the event's")
    organizer = str(event.get("ORGANIZER", ""))
    if not ADDRESS.fullmatch(organizer):
        problems.append(f"ORGANIZER {organizer!r} is no address")
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees] if attendees else []
    recipients = {a.lower() for _name, a in getaddresses(message.get_all("To", []))}
    if len(attendees) != 1:
        problems.append(f"{len(attendees)} ATTENDEEs")
    else:
        (attendee,) = attendees
        address = str(attendee)
        if not ADDRESS.fullmatch(address) or address[7:].lower() not in recipients:
            problems.append(f"ATTENDEE {address!r} is not the recipient")
        if attendee.params.get("ROLE") != "REQ-PARTICIPANT":
            problems.append("ATTENDEE without ROLE")
        if method == REQUEST and not {"PARTSTAT", "RSVP"} <= set(attendee.params):
            problems.append("a REQUEST's ATTENDEE without PARTSTAT and RSVP")
        if method == CANCEL and attendee.params.get("PARTSTAT") in ("ACCEPTED", "TENTATIVE"):
            problems.append("a CANCEL says the attendee accepted")
    status = str(event.get("STATUS", ""))
    if method == CANCEL:
        if status not in ("", "CANCELLED"):
            problems.append(f"a CANCEL says STATUS:{status}")
        said = " ".join(str(event.get(k, "")) for k in ("SUMMARY", "DESCRIPTION", "COMMENT"))
        if "confirmed" in said.lower():
            problems.append("a CANCEL says confirmed")
        if event.walk("VALARM"):
            problems.append("a CANCEL sets an alarm")
    elif status == "CANCELLED":
        problems.append("a REQUEST for a cancelled event")
    key = {"uid": uid, "sequence": int(event.get("SEQUENCE", 0)), "method": method}
    return problems, key


def itip_problems(received: Iterable[tuple[str, object]]) -> tuple[int, list[str]]:
    """(how many invitations, what is wrong with them) for (test, message) pairs in the
    order the SMTP server received them. SEQUENCE is followed per test, recipient and UID
    (each test starts from an empty database, so ids and UIDs come round again)."""
    problems, count, held = [], 0, {}
    for test, message in received:
        if not calendar_parts(message) and not any(
            p.get_content_type() == "application/ics" for p in message.walk()
        ):
            continue
        count += 1
        where = f"{test}: mail to {message['To']} ({message['Subject']})"
        found = _shape_problems(message)
        key = None
        if not found:
            (part,) = calendar_parts(message)
            method = str(part.get_param("method") or "").upper()
            if method not in (REQUEST, CANCEL):
                found.append(f"content-type method={method!r}")
            else:
                try:
                    more, key = _event_problems(message, method, part.get_payload(decode=True))
                except Exception as exc:
                    more = [f"unreadable: {exc!r}"]
                found += more
        if key is not None:
            recipient = message["To"].lower()
            last = held.get((test, recipient, key["uid"]))
            if last is not None:
                sequence, method = key["sequence"], key["method"]
                if sequence < last["sequence"]:
                    found.append(f"SEQUENCE {sequence} after {last['sequence']}")
                elif method != last["method"] and sequence <= last["sequence"]:
                    found.append(f"{method} at SEQUENCE {sequence}, not above {last['method']}")
            held[(test, recipient, key["uid"])] = key
        problems += [f"{where}: {problem}" for problem in found]
    return count, problems


# --- the checker catches what it must ---------------------------------------------------


def _mail(member, attachment, event):
    queue_email(
        member.email, "Your call", "calendar/invitation", attachments=[attachment],
        member=member, event=event, zone="America/Chicago",
    )  # fmt: skip
    db.session.commit()


def test_what_the_app_sends_passes(make_call, make_member, deliver_mail):
    from tests.calendar.conftest import cancel

    call = make_call(title="Budgets")
    member = make_member()
    for method in (None, CANCEL, None):
        event = call_event(call.id)
        _mail(member, invitation(event, member, method=method), event)
    cancel(call)
    event = call_event(call.id)
    _mail(member, invitation(event, member), event)
    messages = deliver_mail()
    assert itip_problems(("t", m) for m in messages) == (4, [])


def _raw(method_param, body, to="ana@example.org"):
    """A hand-made message in the right shape, holding `body` as its calendar part."""
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    root = MIMEMultipart("mixed")
    root["To"], root["Subject"] = to, "x"
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("text", "plain", "utf-8"))
    alternative.attach(MIMEText("<p>text</p>", "html", "utf-8"))
    part = MIMEText(body, "calendar", "utf-8")
    part.set_param("method", method_param)
    alternative.attach(part)
    root.attach(alternative)
    return email.message_from_bytes(root.as_bytes(), policy=email.policy.default)


def _ics(method="REQUEST", sequence=0, status="CONFIRMED", extra="", uid="call-1@convene"):
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//t//t//EN",
        f"UID:invitation-{uid}",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        "DTSTAMP:20270101T000000Z",
        "DTSTART:20270412T130000Z",
        "DTEND:20270412T140000Z",
        "SUMMARY:Call",
        f"STATUS:{status}" if status else "",
        "ORGANIZER;CN=P:mailto:convene@example.org",
        "ATTENDEE;CN=Ana;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:ana@example.org"
        if method == "REQUEST"
        else "ATTENDEE;CN=Ana;ROLE=REQ-PARTICIPANT:mailto:ana@example.org",
        extra,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(line for line in lines if line) + "\r\n"


def _two_events():
    one = _ics()
    event = re.search(r"BEGIN:VEVENT.*?END:VEVENT\r\n", one, re.DOTALL)[0]
    return one.replace("END:VCALENDAR", event + "END:VCALENDAR")


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([_raw("REQUEST", _ics())], []),
        ([_raw("CANCEL", _ics())], ["METHOD REQUEST under method=CANCEL"]),
        ([_raw("CANCEL", _ics("CANCEL", 1))], ["a CANCEL says STATUS:CONFIRMED"]),
        ([_raw("CANCEL", _ics("CANCEL", 1, "", "DESCRIPTION:You are confirmed."))],
         ["a CANCEL says confirmed"]),
        ([_raw("REQUEST", _ics(uid="3f2a9c@convene"))], ["UID '3f2a9c@convene' names no row"]),
        ([_raw("REQUEST", _ics(), to="bo@example.org")],
         ["ATTENDEE 'mailto:ana@example.org' is not the recipient"]),
        ([_raw("REQUEST", _ics().replace("mailto:convene@example.org", "convene"))],
         ["ORGANIZER 'convene' is no address"]),
        ([_raw("REQUEST", _ics(sequence=1)), _raw("REQUEST", _ics(sequence=0))],
         ["SEQUENCE 0 after 1"]),
        ([_raw("REQUEST", _ics(sequence=1)), _raw("CANCEL", _ics("CANCEL", 1, ""))],
         ["CANCEL at SEQUENCE 1, not above REQUEST"]),
        ([_raw("REQUEST", _ics()), _raw("CANCEL", _ics("CANCEL", 1, "")),
          _raw("REQUEST", _ics(sequence=1))], ["REQUEST at SEQUENCE 1, not above CANCEL"]),
        ([_raw("REQUEST", _two_events())], ["2 VEVENTs"]),
    ],
)  # fmt: skip
def test_the_check_catches_each_rule(messages, expected):
    count, problems = itip_problems(("t", m) for m in messages)
    assert count == len(messages)
    found = [p.split(": ", 2)[-1] for p in problems]
    assert set(expected) <= set(found) and bool(found) == bool(expected)


def test_the_check_catches_an_attachment_only_invitation():
    """The old shape: the calendar as a multipart/mixed attachment, which Outlook and Gmail
    show as a file."""
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    root = MIMEMultipart("mixed")
    root["To"], root["Subject"] = "ana@example.org", "x"
    root.attach(MIMEText("text", "plain", "utf-8"))
    part = MIMEText(_ics(), "calendar", "utf-8")
    part.set_param("method", "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    root.attach(part)
    message = email.message_from_bytes(root.as_bytes(), policy=email.policy.default)
    _count, problems = itip_problems([("t", message)])
    assert [p.split(": ", 2)[-1] for p in problems] == [
        "the text/calendar part is not inside a multipart/alternative",
        "the text/calendar part is an attachment",
    ]


# --- the shape --------------------------------------------------------------------------


def test_an_invitation_is_an_inline_part_of_the_alternative_plus_a_file(
    make_call, make_member, deliver_mail
):
    call = make_call(title="Budgets")
    member = make_member(name="Ana <Díaz> & co")
    event = call_event(call.id)
    _mail(member, invitation(event, member), event)
    (message,) = deliver_mail()
    assert message.get_content_type() == "multipart/mixed"
    alternative, file = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, calendar = alternative.get_payload()
    assert [p.get_content_type() for p in (text, html, calendar)] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_content_disposition() is None  # inline, not an attachment
    assert (file.get_content_type(), file.get_filename()) == ("application/ics", "invite.ics")
    assert file.get_content_disposition() == "attachment"
    assert file.get_payload(decode=True) == calendar.get_payload(decode=True)
    assert "Ana &lt;Díaz&gt; &amp; co" in html.get_content()
    row = db.session.scalars(db.select(OutboxMessage)).one()
    assert b'text/calendar; charset="utf-8"; method=REQUEST\r\n' in _to_mail(row).as_bytes()
    assert f'<a href="{call_event(call.id).url}">' in html.get_content()


def test_mail_without_an_invitation_keeps_its_shape(make_member, deliver_mail):
    member = make_member()
    queue_email(
        member.email, "Hello", "accounts/password_reset_no_account",
        email=member.email, forgot_link="http://convene.test/password/forgot",
    )  # fmt: skip
    db.session.commit()
    (message,) = deliver_mail()
    assert [p.get_content_type() for p in message.walk()] == ["text/plain"]


def test_html_from_text_escapes_and_links():
    html = html_from_text('Hi <b>"you"</b>\n\nSee https://x.test/a?b=1&c=2 now\nbye')
    assert "<p>Hi &lt;b&gt;&quot;you&quot;&lt;/b&gt;</p>" in html
    assert '<a href="https://x.test/a?b=1&amp;c=2">https://x.test/a?b=1&amp;c=2</a>' in html
    assert "now<br>\nbye</p>" in html


# --- one event per message -----------------------------------------------------------------


def _calendar(n):
    return Attachment("invite.ics", "text/calendar; charset=utf-8; method=REQUEST", b"%d" % n)


def test_a_second_invitation_in_one_message_is_a_programming_error(app):
    csv = Attachment("a.csv", "text/csv", b"a")
    assert one_invitation([None, _calendar(1), csv]) == [_calendar(1), csv]
    with pytest.raises(TooManyInvitations):
        one_invitation([_calendar(1), _calendar(2)])


def test_outside_tests_a_second_invitation_is_logged_and_left_out(app, caplog):
    app.testing = False
    try:
        assert one_invitation([_calendar(1), _calendar(2)]) == [_calendar(1)]
    finally:
        app.testing = True
    assert "a second invitation left out" in caplog.text


def test_a_stored_row_with_two_invitations_goes_with_the_first(app, smtp, make_call, make_member):
    """Mail queued before the rule (or written by hand) still goes, with one event."""
    call = make_call()
    member = make_member()
    first = invitation(call_event(call.id), member)
    second = invitation(call_event(call.id), member, method=CANCEL)
    queue_email(
        member.email, "Your call", "calendar/invitation", attachments=[first],
        member=member, event=call_event(call.id), zone="America/Chicago",
    )  # fmt: skip
    db.session.flush()
    row = db.session.scalars(db.select(OutboxMessage)).one()
    row.attachments = row.attachments + [
        {
            "filename": "cancel.ics",
            "content_type": second.content_type,
            "data": base64.b64encode(second.data).decode(),
        }
    ]
    db.session.commit()
    assert deliver_pending() == (1, 0)
    (message,) = smtp.wait_for(1)
    (part,) = calendar_parts(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_payload(decode=True) == first.data
