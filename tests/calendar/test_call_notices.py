"""The calls' emails carry the call as an invitation: REQUEST on an RSVP and after a move
(higher SEQUENCE), CANCEL on cancellation, and nothing for people who said no."""

from datetime import timedelta

from icalendar import Calendar

from convene.convenings.rescheduling import cancel_call, move_call, reassign_host
from convene.convenings.rsvps import answer_rsvp
from convene.extensions import db
from tests.calendar.conftest import calendar_part, parse_all


def _invites(messages) -> dict:
    found = {}
    for message in messages:
        part = calendar_part(message)
        if part is None:
            found[message["To"]] = None
            continue
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        (event,) = calendar.events
        found[message["To"]] = (
            part.get_param("method"),
            calendar["METHOD"],
            int(event["SEQUENCE"]),
            event["ATTENDEE"].params.get("PARTSTAT"),  # none in a CANCEL but DECLINED
            event["UID"],
        )
    return found


def test_rsvp_move_and_cancel_send_matching_invitations(
    make_call, make_member, deliver_mail, client
):
    call = make_call(title="Open budgets")
    yes, maybe, no = make_member(), make_member(), make_member()
    for member, answer in ((yes, "yes"), (maybe, "maybe"), (no, "no")):
        answer_rsvp(call, member, answer)
    db.session.commit()
    uid = f"call-{call.id}@convene"
    confirmations = _invites(deliver_mail())
    assert confirmations == {
        yes.email: ("REQUEST", "REQUEST", 0, "ACCEPTED", uid),
        maybe.email: ("REQUEST", "REQUEST", 0, "TENTATIVE", uid),
    }

    move_call(call, call.starts_at + timedelta(days=1), 90)
    db.session.commit()
    moved = deliver_mail()
    assert _invites(moved) == {
        yes.email: ("REQUEST", "REQUEST", 1, "ACCEPTED", uid),
        maybe.email: ("REQUEST", "REQUEST", 1, "TENTATIVE", uid),
        no.email: None,
    }
    (seen,) = parse_all(calendar_part(moved[0]).get_payload(decode=True))
    assert seen["start"] == call.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    (in_feed,) = parse_all(client.get("/calendar/public.ics").data)
    assert (in_feed["uid"], in_feed["sequence"]) == (uid, 1)

    cancel_call(call, "Holiday")
    db.session.commit()
    invites = _invites(deliver_mail())
    assert {k: v[:3] for k, v in invites.items()} == {
        yes.email: ("CANCEL", "CANCEL", 2),
        maybe.email: ("CANCEL", "CANCEL", 2),
        no.email: ("CANCEL", "CANCEL", 2),
    }


def test_a_no_after_a_yes_cancels_the_call_in_that_calendar_only(
    make_call, make_member, deliver_mail
):
    call = make_call(title="Open budgets")
    changes_mind, stays = make_member(), make_member()
    answer_rsvp(call, changes_mind, "yes")
    answer_rsvp(call, stays, "yes")
    db.session.commit()
    deliver_mail()
    answer_rsvp(call, changes_mind, "no")
    db.session.commit()
    assert _invites(deliver_mail()) == {
        # above the REQUEST they hold (SEQUENCE 0), or their calendar would ignore it
        changes_mind.email: ("CANCEL", "CANCEL", 1, "DECLINED", f"call-{call.id}@convene"),
    }


def test_a_new_host_reaches_those_coming_with_a_higher_sequence(
    make_call, make_member, make_org, deliver_mail
):
    call = make_call(title="Open budgets")
    coming, not_coming = make_member(), make_member()
    answer_rsvp(call, coming, "maybe")
    answer_rsvp(call, not_coming, "no")
    db.session.commit()
    deliver_mail()
    reassign_host(call, make_org("partner", name="New Partner"))
    db.session.commit()
    invites = _invites(deliver_mail())
    assert invites[coming.email][:4] == ("REQUEST", "REQUEST", 1, "TENTATIVE")
    assert not_coming.email not in invites
