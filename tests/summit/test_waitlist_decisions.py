"""Programme staff manage the waitlist by hand: promote now, move up or down, take off; each
with a reason that is kept, shown to admins and (for a removal, when chosen) told."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications.models import OutboxMessage
from convene.summit.models import Registration, RegistrationStatus
from convene.summit.registration import cancel, confirmed_count, register, waiting_in_order
from convene.summit.waitlist import WaitingEntry, moved, waitlist_order
from convene.summit.waitlist_decisions import (
    WaitlistError,
    move_on_waitlist,
    promote_now,
    remove_from_waitlist,
)
from tests.summit.http_races import race_requests, racing_apps, status_codes

T0 = datetime(2027, 1, 1, tzinfo=UTC)


def entry(id_, org, minutes, rank=None):
    return WaitingEntry(id_, org, T0 + timedelta(minutes=minutes), rank)


# --- the order, as plain data --------------------------------------------------------------


def test_ranked_people_keep_the_order_staff_gave_them_ahead_of_the_rule():
    waiting = [entry("a", "x", 1), entry("b", "x", 2, rank=2), entry("c", "y", 3, rank=1)]
    assert [e.id for e in waitlist_order(waiting, represented={"x", "y"})] == ["c", "b", "a"]


def test_a_new_city_jumps_the_unranked_queue_but_not_the_places_staff_decided():
    waiting = [entry("a", "x", 1, rank=1), entry("b", "x", 2), entry("c", "new", 3)]
    assert [e.id for e in waitlist_order(waiting, represented={"x"})] == ["a", "c", "b"]
    # A city with someone in the ranked front is not waiting for its first place.
    waiting = [entry("a", "new", 1, rank=1), entry("b", "x", 2), entry("c", "new", 3)]
    assert [e.id for e in waitlist_order(waiting, represented={"x"})] == ["a", "b", "c"]


def test_moved_ranks_the_front_down_to_the_places_involved():
    order = [entry("a", "x", 1), entry("b", "x", 2), entry("c", "x", 3), entry("d", "x", 4)]
    assert moved(order, "c", -1) == {"a": 1, "c": 2, "b": 3}
    assert moved(order, "a", 1) == {"b": 1, "a": 2}
    with pytest.raises(ValueError):
        moved(order, "a", -1)
    with pytest.raises(ValueError):
        moved(order, "d", 1)


def test_moved_reranks_everyone_already_ranked():
    order = [
        entry("a", "x", 1, 1),
        entry("b", "x", 2, 2),
        entry("c", "x", 3, 3),
        entry("d", "x", 4),
    ]
    assert moved(order, "b", -1) == {"b": 1, "a": 2, "c": 3}


# --- the decisions -------------------------------------------------------------------------


@pytest.fixture
def full_summit(make_summit, make_member, make_registration):
    """A summit with its two seats taken and three people waiting (a, b, c in that order)."""
    summit = make_summit(capacity=2)
    for _ in range(2):
        make_registration(summit, make_member())
    waiting = []
    for minutes in range(3):
        waiting.append(
            make_registration(
                summit, make_member(), "waitlisted", registered_at=T0 + timedelta(minutes=minutes)
            )
        )
    return summit, waiting


def _actions(kind):
    return db.session.scalars(select(Action).where(Action.kind == kind)).all()


def _mail_to(member):
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == member.email)
    ).all()


def test_promoting_now_when_full_needs_an_admin_override_with_a_reason(full_summit, make_member):
    summit, (a, b, c) = full_summit
    admin = make_member("admin")
    with pytest.raises(WaitlistError, match="is full .2 of 2 places taken"):
        promote_now(c, admin, "Keynote speaker")
    db.session.rollback()
    with pytest.raises(WaitlistError, match="Give a reason"):
        promote_now(c, admin, "   ", over_capacity=True)
    db.session.rollback()
    promote_now(c, admin, "Keynote speaker", over_capacity=True)
    db.session.commit()
    assert c.status == RegistrationStatus.CONFIRMED and confirmed_count(summit.id) == 3
    (action,) = [x for x in _actions(ActionKind.REGISTRATION_PROMOTED) if x.details.get("by_hand")]
    assert action.details["reason"] == "Keynote speaker"
    assert action.details["over_capacity"] is True and action.details["position"] == 3
    assert action.actor_id == admin.id
    (mail,) = _mail_to(c.member)
    assert "A place opened up" in mail.subject  # the usual "you have a place" notice
    # Over capacity, nobody else is promoted until enough people cancel.
    first = db.session.scalar(
        select(Registration).where(
            Registration.summit_id == summit.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.id != c.id,
        )
    )
    assert cancel(first) == []
    db.session.commit()
    assert [r.id for r in waiting_in_order(summit.id)] == [a.id, b.id]


def test_only_an_admin_may_go_over_capacity(full_summit, make_member):
    _summit, (_a, _b, c) = full_summit
    with pytest.raises(WaitlistError, match="Only an admin"):
        promote_now(c, make_member("host"), "A favour", over_capacity=True)


def test_promoting_out_of_turn_into_a_free_seat_needs_no_override(
    make_summit, make_member, make_registration
):
    summit = make_summit(capacity=5)
    first = make_registration(summit, make_member(), "waitlisted", registered_at=T0)
    later = make_registration(summit, make_member(), "waitlisted", registered_at=T0 + timedelta(1))
    promote_now(later, make_member("admin"), "Leads the opening session")
    db.session.commit()
    assert later.status == RegistrationStatus.CONFIRMED
    assert first.status == RegistrationStatus.WAITLISTED
    (action,) = [x for x in _actions(ActionKind.REGISTRATION_PROMOTED) if x.details.get("by_hand")]
    assert action.details["over_capacity"] is False and action.details["position"] == 2


def test_a_decision_about_someone_no_longer_waiting_is_refused(full_summit, make_member):
    _summit, (a, _b, _c) = full_summit
    admin = make_member("admin")
    promote_now(a, admin, "Speaker", over_capacity=True)
    db.session.commit()
    for decide in (
        lambda: promote_now(a, admin, "Again", over_capacity=True),
        lambda: move_on_waitlist(a, admin, "Up", -1),
        lambda: remove_from_waitlist(a, admin, "Off"),
    ):
        with pytest.raises(WaitlistError, match="not on the waitlist: they have a place"):
            decide()
        db.session.rollback()
    assert confirmed_count(a.summit_id) == 3


def test_moving_up_and_down_keeps_the_decided_places(full_summit, make_member, make_org):
    summit, (a, b, c) = full_summit
    admin = make_member("admin")
    assert move_on_waitlist(c, admin, "Travel already booked", -1) == 2
    db.session.commit()
    assert [r.id for r in waiting_in_order(summit.id)] == [a.id, c.id, b.id]
    with pytest.raises(WaitlistError, match="first on the waitlist already"):
        move_on_waitlist(a, admin, "Up", -1)
    db.session.rollback()
    # Someone from a city with nobody confirmed registers: the rule would put them first,
    # but the places staff set (down to the third, where c came from) hold.
    newcomer = make_member(organisation=make_org())
    register(summit, newcomer)
    db.session.commit()
    order = waiting_in_order(summit.id)
    assert [r.member_id for r in order] == [a.member_id, c.member_id, b.member_id, newcomer.id]
    assert move_on_waitlist(a, admin, "Asked to wait for a colleague", 1) == 2
    db.session.commit()
    assert [r.id for r in waiting_in_order(summit.id)][:2] == [c.id, a.id]
    moves = _actions(ActionKind.REGISTRATION_MOVED)
    assert [(m.before["position"], m.after["position"]) for m in moves] == [(3, 2), (1, 2)]
    assert moves[0].details["reason"] == "Travel already booked"
    mail = _mail_to(c.member)[-1]
    assert mail.subject == f"You are now number 2 on the waitlist for {summit.name}"
    assert "position 2 (you were at 3)" in mail.body_text


def test_taking_someone_off_tells_them_with_the_reason_only_when_asked(full_summit, make_member):
    summit, (a, b, _c) = full_summit
    admin = make_member("admin", name="Pat Programme")
    remove_from_waitlist(a, admin, "Registered twice", tell_reason=True)
    remove_from_waitlist(b, admin, "Not eligible this year", tell_reason=False)
    db.session.commit()
    assert a.status == b.status == RegistrationStatus.CANCELLED
    assert confirmed_count(summit.id) == 2  # no seat freed: nobody promoted
    (told,) = _mail_to(a.member)
    assert "off the waitlist" in told.subject
    assert "Pat Programme" in told.body_text and "Registered twice" in told.body_text
    (untold,) = _mail_to(b.member)
    assert "Not eligible" not in untold.body_text
    removed = {x.member_id: x for x in _actions(ActionKind.REGISTRATION_REMOVED)}
    assert removed[b.member_id].details == {
        "reason": "Not eligible this year",
        "reason_told": False,
    }


# --- the page ------------------------------------------------------------------------------


def test_the_waitlist_page_is_for_admins(client_for, full_summit, make_member):
    summit, _waiting = full_summit
    url = f"/summit/{summit.slug}/waitlist"
    assert client_for(make_member("champion")).get(url).status_code == 403
    html = client_for(make_member("admin")).get(url).get_data(as_text=True)
    assert "2 of 2 places taken · 3 people waiting" in html
    assert html.count("Promote now") == 3


def test_decisions_through_the_page_keep_their_reason_in_the_history(
    client_for, full_summit, make_member
):
    summit, (a, b, c) = full_summit
    admin = make_member("admin", name="Pat Programme")
    client = client_for(admin)
    url = f"/summit/{summit.slug}/waitlist/{c.id}"
    answer = client.post(url, data={f"r{c.id}-up": "Move up", f"r{c.id}-reason": ""})
    assert answer.status_code == 409
    assert "Give a reason" in answer.get_data(as_text=True)
    assert not _actions(ActionKind.REGISTRATION_MOVED)
    answer = client.post(url, data={f"r{c.id}-promote": "1", f"r{c.id}-reason": "Speaker"})
    assert answer.status_code == 409 and "Tick “over capacity”" in answer.get_data(as_text=True)
    answer = client.post(
        url,
        data={f"r{c.id}-up": "Move up", f"r{c.id}-reason": "Travel booked"},
        follow_redirects=True,
    )
    html = answer.get_data(as_text=True)
    assert "is now at position 2 on the waitlist" in html
    assert "moved on the waitlist from place 3 to 2 by Pat Programme" in html
    assert "Travel booked" in html
    client.post(
        f"/summit/{summit.slug}/waitlist/{b.id}",
        data={f"r{b.id}-promote": "1", f"r{b.id}-reason": "Keynote", f"r{b.id}-over_capacity": "y"},
    )
    html = client.get(f"/summit/{summit.slug}/registrations").get_data(as_text=True)
    assert (
        "promoted from the waitlist by Pat Programme" in html and "over capacity: Keynote" in html
    )
    db.session.expire_all()
    assert db.session.get(Registration, b.id).status == RegistrationStatus.CONFIRMED
    client.post(
        f"/summit/{summit.slug}/waitlist/{a.id}",
        data={f"r{a.id}-remove": "1", f"r{a.id}-reason": "Duplicate"},
    )
    html = client.get(f"/summit/{summit.slug}/waitlist").get_data(as_text=True)
    assert "taken off the waitlist by Pat Programme" in html
    assert "Duplicate (reason not told to them)" in html


def test_a_decision_about_another_summits_registration_is_a_404(
    client_for, full_summit, make_summit, make_member
):
    _summit, (a, _b, _c) = full_summit
    other = make_summit()
    answer = client_for(make_member("admin")).post(
        f"/summit/{other.slug}/waitlist/{a.id}", data={f"r{a.id}-reason": "x", f"r{a.id}-up": "1"}
    )
    assert answer.status_code == 404


def test_the_waitlist_page_costs_the_same_queries_for_10_or_30_waiting(
    client_for, make_summit, make_member, make_org, make_registration, count_queries
):
    admin = make_member("admin")
    client = client_for(admin)
    counts = []
    for n in (10, 30):
        summit = make_summit(capacity=1)
        make_registration(summit, make_member())
        for i in range(n):
            make_registration(
                summit,
                make_member(organisation=make_org()),
                "waitlisted",
                registered_at=T0 + timedelta(minutes=i),
            )
        waiting = waiting_in_order(summit.id)
        move_on_waitlist(waiting[-1], admin, "Speaker", -1)  # some history to show
        db.session.commit()
        db.session.expire_all()
        with count_queries() as q:
            assert client.get(f"/summit/{summit.slug}/waitlist").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


# --- races ---------------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_two_admins_promoting_into_the_last_seat_at_once_fill_it_once(
    app, make_app, make_summit, make_member, make_registration
):
    """Two admins each promote a different waiting person into the one free seat, at the
    same moment, many times over: one is promoted, the other is refused as full."""
    admins = [make_member("admin") for _ in range(2)]
    requests, summits = [], []
    for _ in range(4):
        summit = make_summit(capacity=2)
        make_registration(summit, make_member())
        pair = [
            make_registration(summit, make_member(), "waitlisted", registered_at=T0 + timedelta(i))
            for i in range(2)
        ]
        summits.append(summit)
        for admin, waiting in zip(admins, pair, strict=True):
            data = {f"r{waiting.id}-promote": "1", f"r{waiting.id}-reason": "Speaker"}
            requests.append((admin, "POST", f"/summit/{summit.slug}/waitlist/{waiting.id}", data))
    answers = race_requests(racing_apps(make_app, 2), requests)
    codes = status_codes(answers)
    assert sorted(codes) == [302] * 4 + [409] * 4, codes
    db.session.expire_all()
    for summit in summits:
        assert confirmed_count(summit.id) == 2
    assert all("is full" in a.body for a in answers if a.status == 409)


@pytest.mark.postgres_only
def test_promoting_and_taking_off_one_person_at_once_does_one_of_them(
    app, make_app, make_summit, make_member, make_registration
):
    admins = [make_member("admin") for _ in range(2)]
    requests, people = [], []
    for _ in range(4):
        summit = make_summit(capacity=2)
        make_registration(summit, make_member())
        waiting = make_registration(summit, make_member(), "waitlisted")
        people.append(waiting.id)
        url = f"/summit/{summit.slug}/waitlist/{waiting.id}"
        requests += [
            (
                admins[0],
                "POST",
                url,
                {f"r{waiting.id}-promote": "1", f"r{waiting.id}-reason": "In"},
            ),
            (
                admins[1],
                "POST",
                url,
                {f"r{waiting.id}-remove": "1", f"r{waiting.id}-reason": "Out"},
            ),
        ]
    answers = race_requests(racing_apps(make_app, 2), requests)
    codes = status_codes(answers)
    assert sorted(codes) == [302] * 4 + [409] * 4, codes
    db.session.expire_all()
    decided = db.session.scalar(
        select(func.count(Action.id)).where(
            Action.registration_id.in_(people),
            Action.kind.in_([ActionKind.REGISTRATION_PROMOTED, ActionKind.REGISTRATION_REMOVED]),
        )
    )
    assert decided == 4  # one decision per person, never both
