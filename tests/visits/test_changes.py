"""Moving and cancelling a visit, and changing its itinerary: who hears, once, with which
calendar method and SEQUENCE; the itinerary moving with the visit at the same wall times;
bad changes refused with a clear message and nothing changed; and two people changing one
visit at once (PostgreSQL)."""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from convene.calendar.subscriptions import subscription_for
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.history.wording import describe
from convene.visits import changes, itinerary
from convene.visits.changes import VisitChangeError
from convene.visits.itinerary import ItemInput
from convene.visits.models import Visit, VisitStatus
from convene.zones import localize
from tests.calendar.conftest import calendar_part, parse_all
from tests.visits.scheduling import make_visit, name

TODAY = date.today()


def _sequence(message) -> int:
    text = calendar_part(message).get_content()
    return int(text.split("SEQUENCE:")[1].split()[0])


def _heard(messages) -> dict[str, str | None]:
    """Each recipient's calendar method (None: a plain email); fails if anyone hears twice."""
    heard = {}
    for message in messages:
        address = message["To"].addresses[0].addr_spec
        assert address not in heard, f"{address} heard twice"
        part = calendar_part(message)
        heard[address] = part.get_param("method") if part is not None else None
    return heard


def _add(visit, day, starts, ends, title="Tour"):
    item = itinerary.add_item(visit, ItemInput(day, starts, ends, title), None)
    db.session.commit()
    return item


# --- moving ---------------------------------------------------------------------------------


def test_a_move_tells_its_people_by_invitation_and_its_champions_by_email(scene, deliver_mail):
    s = scene()
    name(s.visit, s.guests[0], s.hosts[0], s.host_champion)
    item = _add(s.visit, s.visit.starts_on, time(9), time(10))
    first = {m["To"].addresses[0].addr_spec: m for m in deliver_mail()}
    new_start = s.visit.starts_on + timedelta(days=7)
    changes.move_visit(s.visit, new_start, new_start + timedelta(days=1), s.guest_champion, TODAY)
    db.session.commit()
    moved = deliver_mail()
    heard = _heard(moved)
    assert heard == {
        s.guests[0].email: "REQUEST",
        s.hosts[0].email: "REQUEST",
        s.host_champion.email: "REQUEST",  # named, and a champion: hears once, as named
        s.guest_champion.email: None,
    }
    for message in moved:
        address = message["To"].addresses[0].addr_spec
        if heard[address] == "REQUEST":
            assert _sequence(message) > _sequence(first[address])
    body = [m for m in moved if s.guest_champion.email in m["To"]][0].get_body(("plain",))
    assert "Was:" in body.get_content() and "Now:" in body.get_content()
    # The item moved with it, at the same wall time.
    db.session.refresh(item)
    local = localize(item.starts_at, s.visit.zone)
    assert (local.date(), local.hour) == (new_start, 9)
    token = subscription_for(s.guests[0]).token
    db.session.commit()
    from flask import current_app

    feed = current_app.test_client().get(f"/calendar/me/{token}.ics").data
    events = {e["uid"].split("@")[0]: e for e in parse_all(feed)}
    assert events[f"visit-{s.visit.id}"]["start"] == new_start.isoformat()
    [action] = db.session.scalars(select(Action).where(Action.kind == ActionKind.VISIT_MOVED))
    assert describe(action, "America/New_York").startswith("Moved by Gil Guest")


def test_a_move_across_a_clock_change_keeps_the_host_citys_wall_times(scene):
    # Louisville: 9 March 2027 is EST (UTC-5); 16 March is EDT (UTC-4).
    s = scene(starts_on=date(2027, 3, 9), ends_on=date(2027, 3, 10))
    item = _add(s.visit, date(2027, 3, 10), time(9), time(10, 30))
    assert item.starts_at == datetime(2027, 3, 10, 14, tzinfo=UTC)
    changes.move_visit(s.visit, date(2027, 3, 16), date(2027, 3, 17), None, date(2027, 1, 1))
    db.session.commit()
    assert (item.starts_at, item.ends_at) == (
        datetime(2027, 3, 17, 13, tzinfo=UTC),
        datetime(2027, 3, 17, 14, 30, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("shift", "length", "message"),
    [
        (-30, 1, "at least 21 days ahead"),
        (0, 1, "dates already"),
        (3, 8, "at most 5 days"),
        (3, -3, "cannot be before"),
    ],
)
def test_a_move_the_rules_refuse_changes_nothing_and_tells_nobody(
    scene, deliver_mail, shift, length, message
):
    s = scene()
    name(s.visit, s.guests[0])
    deliver_mail()
    before = (s.visit.starts_on, s.visit.ends_on, s.visit.sequence)
    starts_on = s.visit.starts_on + timedelta(days=shift)
    ends_on = starts_on + timedelta(days=length)
    if shift == 0:
        ends_on = s.visit.ends_on
    with pytest.raises(VisitChangeError, match=message):
        changes.move_visit(s.visit, starts_on, ends_on, None, TODAY)
    db.session.rollback()
    assert (s.visit.starts_on, s.visit.ends_on, s.visit.sequence) == before
    assert deliver_mail() == []


def test_an_item_that_would_fall_off_a_shorter_visit_stops_the_move(scene):
    s = scene()
    _add(s.visit, s.visit.ends_on, time(9), time(10), "Last-day lunch")
    start = s.visit.starts_on + timedelta(days=7)
    with pytest.raises(VisitChangeError, match="Last-day lunch"):
        changes.move_visit(s.visit, start, start, None, TODAY)


def test_a_move_into_another_year_keeps_the_hosts_cap_and_the_budget(scene, make_org):
    s = scene(starts_on=date(TODAY.year + 1, 12, 28), ends_on=date(TODAY.year + 1, 12, 29))
    next_year = date(TODAY.year + 2, 1, 12)
    s.host.visits_hosted_cap = 1
    other = make_visit(s.host, make_org("city"), next_year + timedelta(days=30))
    db.session.commit()
    with pytest.raises(VisitChangeError, match="hosts at most 1 visits a year"):
        changes.move_visit(s.visit, next_year, next_year, None, TODAY)
    db.session.rollback()
    other.status = VisitStatus.CANCELLED
    s.visit.travel_budget_cents = 150_000
    db.session.commit()
    with pytest.raises(VisitChangeError, match="travel budget"):
        changes.move_visit(s.visit, next_year, next_year, None, TODAY)
    db.session.rollback()
    s.visit.travel_budget_cents = None
    changes.move_visit(s.visit, next_year, next_year, None, TODAY)
    db.session.commit()
    assert s.visit.starts_on == next_year


# --- cancelling -----------------------------------------------------------------------------


def test_a_cancellation_sends_its_people_a_cancel_and_its_champions_the_reason(
    scene, deliver_mail, client
):
    s = scene(is_public=True)
    name(s.visit, s.guests[0], s.hosts[0])
    named = {m["To"].addresses[0].addr_spec: m for m in deliver_mail()}
    changes.cancel_visit(s.visit, "  The host's data team  moved on. ", s.admin)
    db.session.commit()
    cancelled = deliver_mail()
    assert _heard(cancelled) == {
        s.guests[0].email: "CANCEL",
        s.hosts[0].email: "CANCEL",
        s.guest_champion.email: None,
        s.host_champion.email: None,
    }
    for message in cancelled:
        assert (
            "Reason: The host's data team moved on." in message.get_body(("plain",)).get_content()
        )
        if calendar_part(message) is not None:
            assert "STATUS:CANCELLED" in calendar_part(message).get_content()
            address = message["To"].addresses[0].addr_spec
            if address in named:
                assert _sequence(message) > _sequence(named[address])
    # Still in the feeds, cancelled, so subscribed calendars drop it.
    events = {e["uid"].split("@")[0]: e for e in parse_all(client.get("/calendar/public.ics").data)}
    assert events[f"visit-{s.visit.id}"]["status"] == "CANCELLED"
    with pytest.raises(VisitChangeError, match="cancelled already"):
        changes.cancel_visit(s.visit, "Again", s.admin)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_a_cancellation_needs_a_short_reason(scene, reason):
    s = scene()
    with pytest.raises(VisitChangeError, match="reason|why"):
        changes.cancel_visit(s.visit, reason, s.admin)
    assert s.visit.status == VisitStatus.APPROVED


def test_a_held_or_declined_visit_is_neither_moved_nor_cancelled(scene):
    for status in (VisitStatus.HELD, VisitStatus.DECLINED):
        s = scene(status=status)
        with pytest.raises(VisitChangeError):
            changes.cancel_visit(s.visit, "No", s.admin)
        with pytest.raises(VisitChangeError):
            start = s.visit.starts_on + timedelta(days=3)
            changes.move_visit(s.visit, start, start, s.admin, TODAY)


def test_a_cancelled_visit_brought_back_is_in_its_peoples_calendars_again(
    scene, client_for, deliver_mail
):
    s = scene()
    name(s.visit, s.guests[0])
    changes.cancel_visit(s.visit, "By mistake", s.admin)
    db.session.commit()
    cancel = [m for m in deliver_mail() if s.guests[0].email in m["To"]][-1]
    response = client_for(s.guest_champion).post(f"/visits/{s.visit.id}/reinstate")
    assert response.status_code == 302
    db.session.expire_all()
    assert (s.visit.status, s.visit.cancel_reason) == (VisitStatus.APPROVED, None)
    back = deliver_mail()
    assert _heard(back) == {
        s.guests[0].email: "REQUEST",
        s.guest_champion.email: None,
        s.host_champion.email: None,
    }
    [request] = [m for m in back if s.guests[0].email in m["To"]]
    assert _sequence(request) > _sequence(cancel)
    assert "STATUS:CONFIRMED" in calendar_part(request).get_content()
    with pytest.raises(VisitChangeError, match="not cancelled"):
        changes.reinstate_visit(s.visit, None, TODAY)


def test_bringing_back_keeps_the_rules(scene, make_org):
    s = scene(status=VisitStatus.CANCELLED, approved_at=None)
    with pytest.raises(VisitChangeError, match="before it was approved"):
        changes.reinstate_visit(s.visit, None, TODAY)
    s = scene(status=VisitStatus.CANCELLED, starts_on=TODAY + timedelta(days=10))
    with pytest.raises(VisitChangeError, match="less than 21 days ahead"):
        changes.reinstate_visit(s.visit, None, TODAY)
    s = scene(status=VisitStatus.CANCELLED)
    s.host.visits_hosted_cap = 1
    make_visit(s.host, make_org("city"), s.visit.starts_on + timedelta(days=3))
    with pytest.raises(VisitChangeError, match="hosts at most 1 visits"):
        changes.reinstate_visit(s.visit, None, TODAY)
    db.session.rollback()
    s = scene(status=VisitStatus.CANCELLED, travel_budget_cents=50_000)
    with pytest.raises(VisitChangeError, match="No travel budget is set"):
        changes.reinstate_visit(s.visit, None, TODAY)
    db.session.rollback()
    assert s.visit.status == VisitStatus.CANCELLED


# --- the itinerary --------------------------------------------------------------------------


def test_each_itinerary_change_reaches_its_people_with_a_higher_sequence(scene, deliver_mail):
    s = scene()
    name(s.visit, s.guests[0], s.hosts[0])
    sequences = [_sequence(m) for m in deliver_mail() if s.guests[0].email in m["To"]]
    item = itinerary.add_item(
        s.visit, ItemInput(s.visit.starts_on, time(9), time(10), "Tour"), s.host_champion
    )
    db.session.commit()
    itinerary.edit_item(
        item, ItemInput(s.visit.starts_on, time(10), time(11), "Tour", "City Hall"), None
    )
    db.session.commit()
    unchanged = itinerary.edit_item(
        item, ItemInput(s.visit.starts_on, time(10), time(11), "Tour", "City Hall"), None
    )
    assert unchanged is False
    db.session.commit()
    itinerary.remove_item(item, None)
    db.session.commit()
    mail = deliver_mail()
    assert {m["To"].addresses[0].addr_spec for m in mail} == {s.guests[0].email, s.hosts[0].email}
    mine = [m for m in mail if s.guests[0].email in m["To"]]
    assert len(mine) == 3  # added, changed, removed: not the edit that changed nothing
    assert all(calendar_part(m).get_param("method") == "REQUEST" for m in mine)
    sequences += [_sequence(m) for m in mine]
    assert sequences == sorted(set(sequences))  # strictly rising
    bodies = [m.get_body(("plain",)).get_content() for m in mine]
    assert "“Tour” was added." in bodies[0]
    assert "City Hall" in bodies[1]
    assert "“Tour” was taken off." in bodies[2]
    kinds = db.session.scalars(
        select(Action.kind).where(Action.kind == ActionKind.VISIT_ITINERARY_CHANGED)
    ).all()
    assert len(kinds) == 3


# --- the pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "named visitor", "outsider champion"])
def test_only_its_cities_champions_and_admins_move_or_cancel_it(
    scene, client_for, make_member, who
):
    s = scene()
    name(s.visit, s.guests[0])
    actor = {
        "member": s.hosts[1],
        "named visitor": s.guests[0],
        "outsider champion": make_member("champion"),
    }[who]
    client = client_for(actor)
    start = s.visit.starts_on + timedelta(days=7)
    for url, data in (
        (f"/visits/{s.visit.id}/move", {"starts_on": start, "ends_on": start}),
        (f"/visits/{s.visit.id}/cancel", {"reason": "No"}),
    ):
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, data=data).status_code in (403, 404)
    db.session.expire_all()
    assert s.visit.status == VisitStatus.APPROVED and s.visit.sequence == 0


def test_the_move_and_cancel_pages_explain_a_refusal_and_change_nothing(scene, client_for):
    s = scene()
    client = client_for(s.host_champion)
    soon = TODAY + timedelta(days=3)
    cases = [
        ({"starts_on": soon, "ends_on": soon}, "at least 21 days ahead"),
        ({"starts_on": "tomorrow", "ends_on": soon}, "Give a date"),
        ({"starts_on": "9999-01-01", "ends_on": "9999-01-02"}, "Give a date between"),
    ]
    for data, message in cases:
        response = client.post(f"/visits/{s.visit.id}/move", data=data)
        assert response.status_code == 400 and message in response.text, message
    response = client.post(f"/visits/{s.visit.id}/cancel", data={"reason": ""})
    assert response.status_code == 400 and "Say why the visit is cancelled." in response.text
    db.session.expire_all()
    assert s.visit.status == VisitStatus.APPROVED and s.visit.sequence == 0
    start = s.visit.starts_on + timedelta(days=2)
    response = client.post(
        f"/visits/{s.visit.id}/move", data={"starts_on": start, "ends_on": start}
    )
    assert response.status_code == 302
    response = client.post(f"/visits/{s.visit.id}/cancel", data={"reason": "Budget cuts"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (s.visit.starts_on, s.visit.status) == (start, VisitStatus.CANCELLED)


# --- races ----------------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_two_champions_cancelling_at_once_cancel_it_once(app, scene, deliver_mail):
    """They take turns on the visit's row: one cancels, the other is told it is cancelled
    already, and its people get one CANCEL."""
    s = scene()
    name(s.visit, s.guests[0])
    deliver_mail()
    visit_id = s.visit.id
    barrier = threading.Barrier(2)
    outcomes, lock = [], threading.Lock()

    def work(job):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                visit = changes.lock_visit(visit_id)
                job(visit)
                db.session.commit()
                outcome = "done"
            except VisitChangeError:
                db.session.rollback()
                outcome = "refused"
            except Exception as exc:  # noqa: BLE001 - recorded: the test fails on any crash
                db.session.rollback()
                outcome = repr(exc)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    jobs = [
        lambda v: changes.cancel_visit(v, "Called off", None),
        lambda v: changes.cancel_visit(v, "Called off too", None),
    ]
    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["done", "refused"]
    mine = [m for m in deliver_mail() if s.guests[0].email in m["To"]]
    assert len(mine) == 1 and calendar_part(mine[0]).get_param("method") == "CANCEL"
    db.session.expire_all()
    visit = db.session.get(Visit, visit_id)
    assert visit.status == VisitStatus.CANCELLED and visit.sequence == 1
