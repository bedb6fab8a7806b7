"""Admins read each object's history on its page, in plain words; others do not see it."""

from datetime import UTC, datetime, timedelta

from convene.convenings import rescheduling
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.history.wording import describe
from convene.summit import seating
from convene.summit.registration import register, substitute
from convene.topics import proposals

NY = "America/New_York"


def _action(kind, **fields) -> Action:
    return Action(**({"kind": kind, "before": {}, "after": {}, "details": {}} | fields))


def test_a_move_reads_as_who_when_and_from_what_to_what(make_member):
    dana = make_member("host", name="Dana Host")
    action = _action(
        ActionKind.CALL_MOVED,
        actor=dana,
        happened_at=datetime(2027, 3, 3, 15, tzinfo=UTC),
        before={"starts_at": "2027-03-12T18:00:00+00:00"},
        after={"starts_at": "2027-03-19T17:00:00+00:00"},  # same 13:00 in New York (DST)
    )
    assert describe(action, NY) == "Moved by Dana Host on 3 March 2027 from 12 to 19 March 2027"
    action.after = {"starts_at": "2027-03-12T20:00:00+00:00"}
    assert describe(action, NY).endswith("from 13:00 to 15:00 EST on 12 March 2027")


def test_a_substitution_reads_as_a_place_given(make_member):
    dana, sam = make_member(name="Dana"), make_member(name="Sam")
    action = _action(
        ActionKind.REGISTRATION_SUBSTITUTED,
        actor=dana,
        former_member=dana,
        member=sam,
        happened_at=datetime(2027, 3, 3, 15, tzinfo=UTC),
        before={"member": "Dana"},
        after={"member": "Sam"},
    )
    assert describe(action, NY) == "Place given by Dana to Sam on 3 March 2027"
    chris = make_member("champion", name="Chris")
    action.actor = chris
    assert describe(action, NY) == "Place of Dana given to Sam by Chris on 3 March 2027"


def test_every_kind_has_words_that_never_raise_on_an_empty_record():
    for kind in ActionKind:
        line = describe(_action(kind, happened_at=datetime(2027, 1, 1, tzinfo=UTC)), NY)
        assert line and kind.value not in line  # worded, not the fallback


def test_the_call_page_shows_its_history_to_admins_only(make_call, make_member, client_for):
    call = make_call()
    host = make_member("host", organisation=call.host_organisation, name="Dana Host")
    rescheduling.move_call(call, call.starts_at + timedelta(days=7), 60, actor=host)
    rescheduling.cancel_call(call, "The partner's offices are closed", actor=host)
    db.session.commit()
    admin_page = client_for(make_member("admin")).get(f"/calls/{call.id}").get_data(as_text=True)
    assert "History" in admin_page
    assert "Moved by Dana Host on" in admin_page
    assert "Cancelled by Dana Host on" in admin_page
    assert "The partner&#39;s offices are closed" in admin_page
    member_page = client_for(make_member()).get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Moved by Dana Host" not in member_page


def test_the_topic_page_shows_a_decline(make_member, client_for):
    admin = make_member("admin", name="Ada Admin")
    topic = proposals.propose_topic(make_member(), "Data for dog parks")
    proposals.decline_topic(topic, "Out of scope", actor=admin)
    db.session.commit()
    page = client_for(admin).get(f"/topics/{topic.id}").get_data(as_text=True)
    assert "Declined by Ada Admin on" in page and "Out of scope" in page


def test_the_registrations_page_lists_changes_to_places(
    make_summit, make_member, make_org, client_for
):
    summit = make_summit()
    city = make_org()
    dana = make_member(organisation=city, name="Dana Delegate")
    sam = make_member(organisation=city, name="Sam Substitute")
    registration = register(summit, dana, actor=dana)
    substitute(registration, sam, actor=dana)
    db.session.commit()
    page = (
        client_for(make_member("admin"))
        .get(f"/summit/{summit.slug}/registrations")
        .get_data(as_text=True)
    )
    assert "Changes to registrations" in page
    assert "Place given by Dana Delegate to Sam Substitute on" in page
    assert "Dana Delegate registered and confirmed on" in page


def test_the_session_page_shows_a_seat_moved_after_publishing(
    make_summit, make_member, make_org, make_registration, make_session, client_for
):
    summit = make_summit()
    people = [make_member(organisation=make_org(), name=f"Guest {n}") for n in range(2)]
    for person in people:
        make_registration(summit, person)
    dinner = make_session(summit, kind="assigned", title="Dinners")
    start = datetime(2027, 4, 12, 23, tzinfo=UTC)
    slot = seating.add_slot(dinner, "Night 1", start, start + timedelta(hours=2), 2, 2)
    seating.run_assignment(dinner, seed=1)
    seating.publish(dinner)
    tables = seating.current_tables([slot])[slot.id]
    guest = people[0]
    elsewhere = next(t for t in slot.tables if guest.id not in tables[t.id])
    admin = make_member("admin", name="Ada Admin")
    seating.move_attendee(dinner, slot, guest.id, elsewhere, actor=admin)
    db.session.commit()
    page = (
        client_for(admin).get(f"/summit/{summit.slug}/sessions/{dinner.id}").get_data(as_text=True)
    )
    assert "Guest 0 moved from" in page and f"to {elsewhere.name} (Night 1) by Ada Admin" in page
    assert "Seating of Dinners published on" in page
