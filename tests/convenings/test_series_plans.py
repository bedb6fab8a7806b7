"""Editing a series: the plan the admin sees is what saving does, and no host shifts."""

import re
from dataclasses import replace
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from convene.convenings import rotation
from convene.convenings.models import Call, CallStatus, Rsvp, RsvpAnswer, Series
from convene.convenings.rescheduling import cancel_call, move_call
from convene.convenings.rsvps import answer_rsvp
from convene.convenings.series_editing import (
    SeriesDetails,
    Step,
    apply_series_plan,
    lock_for_edit,
    plan_series_edit,
)
from convene.extensions import db
from convene.notifications.models import OutboxMessage
from convene.topics.models import Topic, TopicStatus, TopicVote
from convene.types import utcnow
from tests.convenings.conftest import calls_of

NEW_YORK = ZoneInfo("America/New_York")


def details_of(series: Series, **changes) -> SeriesDetails:
    """The series as its edit form shows it, with `changes`."""
    queue = rotation.load_queue(series).cycle
    details = SeriesDetails(
        name=series.name,
        first_date=series.first_date,
        weekday=series.first_date.weekday(),
        local_time=series.local_time,
        zone=series.zone,
        interval_weeks=series.interval_weeks,
        duration_minutes=series.duration_minutes,
        horizon_weeks=series.horizon_weeks,
        video_url=series.video_url,
        dial_in_number=series.dial_in_number,
        dial_in_code=series.dial_in_code,
        description=series.description,
        rotation_ids=list(queue),
        skips=[(s.day, s.reason) for s in series.skips],
        rotation_seen=list(queue),
    )
    return replace(details, **changes)


def save(series: Series, actor=None, **changes):
    """What the confirm step does: lock, plan, apply, commit. Returns the plan."""
    series = lock_for_edit(series.id)
    plan = plan_series_edit(series, details_of(series, **changes))
    apply_series_plan(plan, actor=actor)
    db.session.commit()
    return plan


def snapshot(series: Series) -> dict[int, tuple]:
    db.session.expire_all()
    return {
        c.id: (
            c.slot_date,
            c.starts_at,
            c.duration_minutes,
            c.host_organisation_id,
            c.status,
            c.revision,
        )  # fmt: skip
        for c in calls_of(series)
    }


@pytest.fixture
def network(upcoming_series, make_org):
    """Five partners and a series every other week from next week, 13 calls ahead."""
    partners = [make_org("partner", name=f"Partner {n}") for n in "ABCDE"]
    return upcoming_series(partners=partners), partners


# --- the findings ---------------------------------------------------------------------------


def test_holidays_added_after_rsvps_cancel_only_that_call_tell_its_people_and_shift_no_host(
    network, make_member, deliver_mail
):
    series, partners = network
    calls = calls_of(series)
    holiday, chosen = calls[3], calls[5]
    coming = [make_member() for _ in range(6)]
    for person in coming:
        answer_rsvp(holiday, person, "yes")
    for person in [make_member() for _ in range(8)]:
        answer_rsvp(chosen, person, "yes")
    chosen.title = "Performance dashboards"
    topic = Topic(
        title="Performance dashboards",
        proposer=make_member(),
        status=TopicStatus.SCHEDULED,
        call=chosen,
    )
    db.session.add(topic)
    db.session.flush()
    db.session.add_all(TopicVote(topic_id=topic.id, member_id=make_member().id) for _ in range(3))
    db.session.commit()
    deliver_mail()  # the RSVP receipts
    before = snapshot(series)
    not_a_slot = holiday.slot_date + timedelta(days=7)  # the other holiday falls between calls
    skips = [(holiday.slot_date, "Christmas Eve"), (not_a_slot, "New Year's Eve")]

    plan = plan_series_edit(series, details_of(series, skips=skips))
    assert [s.call.id for s in plan.steps] == [holiday.id]
    assert plan.cancelled[0].reason.endswith("(Christmas Eve): there is no call that day.")
    assert sorted(m.id for m in plan.audiences[holiday.id].coming) == sorted(p.id for p in coming)
    assert plan.next_hosts(1) == [holiday.host_organisation_id]  # owed the next new call

    save(series, skips=skips)
    after = snapshot(series)
    assert after[holiday.id][4] == CallStatus.CANCELLED
    assert after[holiday.id][5] == before[holiday.id][5] + 1
    assert {k: v for k, v in after.items() if k != holiday.id} == {
        k: v for k, v in before.items() if k != holiday.id
    }  # every other call: same date, time, host, status and revision
    messages = deliver_mail()
    assert sorted(m["To"] for m in messages) == sorted(p.email for p in coming)
    assert all(m["Subject"].startswith("Call cancelled") for m in messages)

    # The next new call goes to the partner who lost the holiday, then the queue goes on.
    owed, then = holiday.host_organisation_id, rotation.load_queue(series).cycle[0]
    later = rotation.horizon(series) + timedelta(weeks=4)
    assert rotation.materialise(series, later, since=date.today()).created == 2
    db.session.commit()
    assert [c.host_organisation_id for c in calls_of(series)[-2:]] == [owed, then]


def test_preview_names_topic_supporters_and_hosts_of_a_call_that_moves(
    network, make_member, make_topic_for
):
    series, partners = network
    call = calls_of(series)[2]
    host = make_member("host", organisation=call.host_organisation, name="Hana Host")
    supporters = make_topic_for(call, voters=2)  # the proposer and two voters
    plan = plan_series_edit(series, details_of(series, local_time=time(15, 0)))
    audience = plan.audiences[call.id]
    assert [m.id for m in audience.hosts] == [host.id]
    assert sorted(m.id for m in audience.supporters) == sorted(m.id for m in supporters)
    assert host.id in {m.id for m in plan.told}
    assert {m.id for m in supporters} <= {m.id for m in plan.told}


@pytest.fixture
def make_topic_for(make_member):
    def factory(call: Call, voters: int):
        """Gives the call a topic; returns its proposer and its voters."""
        proposer = make_member()
        topic = Topic(title="311 data", proposer=proposer, status=TopicStatus.SCHEDULED)
        topic.call = call
        db.session.add(topic)
        db.session.flush()
        members = [make_member() for _ in range(voters)]
        db.session.add_all(TopicVote(topic_id=topic.id, member_id=m.id) for m in members)
        db.session.commit()
        return [proposer, *members]

    return factory


# --- rotation edits -------------------------------------------------------------------------


def test_a_new_rotation_order_keeps_every_existing_host_and_orders_new_calls(network):
    series, (a, b, c, d, e) = network
    before = snapshot(series)
    plan = save(series, rotation_ids=[e.id, d.id, c.id, b.id, a.id], horizon_weeks=30)
    after = snapshot(series)
    assert all(after[k] == v for k, v in before.items())
    created = [after[s] for s in after if s not in before]
    assert [x[3] for x in created] == [e.id, d.id] == [s.host_id for s in plan.created]
    assert rotation.load_queue(series).cycle == [c.id, b.id, a.id, e.id, d.id]


def test_a_partner_added_joins_at_the_back_of_the_queue(network, make_org):
    series, partners = network
    newcomer = make_org("partner", name="Partner F")
    queue = rotation.load_queue(series).cycle
    # Written first in the list, it still waits for everyone already in the queue.
    plan = save(series, rotation_ids=[newcomer.id, *queue], horizon_weeks=38)
    assert [s.host_id for s in plan.created] == [*queue, newcomer.id]
    assert rotation.load_queue(series).cycle == [*queue, newcomer.id]


def test_a_partner_taken_out_keeps_its_calls_and_the_preview_lists_them(network):
    series, (a, b, c, d, e) = network
    kept = [x.id for x in calls_of(series) if x.host_organisation_id == b.id]
    details = details_of(series, rotation_ids=[a.id, c.id, d.id, e.id])
    plan = plan_series_edit(series, details)
    assert [x.id for x in plan.leaving[b.id]] == kept
    assert not plan.steps
    save(series, rotation_ids=[a.id, c.id, d.id, e.id])
    assert [x.id for x in calls_of(series) if x.host_organisation_id == b.id] == kept
    assert b.id not in rotation.load_queue(series).cycle


# --- weekday, time and length ---------------------------------------------------------------


def test_a_new_time_moves_each_call_through_the_move_flow_and_tells_who_answered(
    network, make_member, deliver_mail
):
    series, _ = network
    calls = calls_of(series)
    people = {calls[1].id: [make_member(), make_member()], calls[4].id: [make_member()]}
    for call_id, members in people.items():
        for member in members:
            answer_rsvp(db.session.get(Call, call_id), member, "maybe")
    db.session.commit()
    deliver_mail()
    before = snapshot(series)
    plan = save(series, local_time=time(15, 30))
    after = snapshot(series)
    assert {s.call.id for s in plan.moved} == set(before) and not plan.created
    for call_id, (day, starts_at, _length, host, status, revision) in after.items():
        assert starts_at.astimezone(NEW_YORK).time() == time(15, 30)
        assert (day, host, status) == (before[call_id][0], before[call_id][3], before[call_id][4])
        assert revision == before[call_id][5] + 1
        assert not db.session.get(Call, call_id).is_time_by_hand  # still follows the series
    messages = deliver_mail()
    assert sorted(m["To"] for m in messages) == sorted(
        m.email for members in people.values() for m in members
    )
    assert all(m["Subject"].startswith("Call moved") for m in messages)


def test_a_new_weekday_moves_calls_to_the_nearest_new_date_with_their_hosts(network):
    series, _ = network
    before = snapshot(series)
    thursday_to_tuesday = (series.first_date.weekday() + 5) % 7
    plan = save(series, weekday=thursday_to_tuesday)
    after = snapshot(series)
    assert set(after) == set(before) and not plan.cancelled and not plan.created
    for call_id, (day, _start, _length, host, _status, revision) in after.items():
        assert day.weekday() == thursday_to_tuesday
        assert day - before[call_id][0] == timedelta(days=5)
        assert host == before[call_id][3] and revision == before[call_id][5] + 1


def test_a_call_moved_by_hand_keeps_its_time_when_the_series_moves(network):
    series, _ = network
    call = calls_of(series)[2]
    moved_to = call.starts_at + timedelta(hours=2)
    move_call(call, moved_to, 60)
    db.session.commit()
    save(series, local_time=time(9, 0), weekday=(series.first_date.weekday() + 1) % 7)
    db.session.refresh(call)
    assert call.starts_at == moved_to and call.is_time_by_hand
    assert call.slot_date.weekday() == series.first_date.weekday()  # took the new slot


# --- removing a skip ------------------------------------------------------------------------


def test_removing_a_skip_brings_back_the_same_call_with_a_higher_revision(
    network, make_member, deliver_mail
):
    series, _ = network
    call = calls_of(series)[3]
    member = make_member()
    answer_rsvp(call, member, "yes")
    db.session.commit()
    save(series, skips=[(call.slot_date, "Holiday")])
    deliver_mail()
    db.session.refresh(call)
    cancelled_revision = call.revision
    assert call.is_cancelled

    plan = plan_series_edit(series, details_of(series, skips=[]))
    assert [s.call.id for s in plan.reinstated] == [call.id] and not plan.created
    save(series, skips=[])
    db.session.refresh(call)
    assert call.status == CallStatus.SCHEDULED and call.cancel_reason is None
    assert call.revision == cancelled_revision + 1
    assert rotation.load_queue(series).owed == []  # the turn is no longer owed
    assert [m["To"] for m in deliver_mail()] == [member.email]
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.call_id == call.id))
    assert rsvp.answer == RsvpAnswer.YES


def test_a_call_brought_back_after_its_turn_was_used_sends_its_partner_to_the_back(network):
    series, _ = network
    call = calls_of(series)[3]
    host = call.host_organisation_id
    save(series, skips=[(call.slot_date, "Holiday")])
    save(series, skips=[(call.slot_date, "Holiday")], horizon_weeks=28)  # a new call: owed turn
    assert calls_of(series)[-1].host_organisation_id == host
    save(series, skips=[], horizon_weeks=28)
    assert rotation.load_queue(series).cycle[-1] == host


def test_a_call_cancelled_by_its_host_stays_cancelled_when_a_skip_goes(network):
    series, _ = network
    call = calls_of(series)[3]
    cancel_call(call, "Our host is ill")
    db.session.commit()
    save(series, skips=[(call.slot_date, "Holiday")])
    plan = save(series, skips=[])
    db.session.refresh(call)
    assert not plan.steps and call.is_cancelled and call.cancel_reason == "Our host is ill"


# --- the plan is what saving does -----------------------------------------------------------

PROPERTIES = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

edits = st.fixed_dictionaries(
    {
        "add_skips": st.sets(st.integers(0, 12), max_size=3),
        "drop_skips": st.booleans(),
        "rotation": st.sampled_from(["same", "reverse", "add", "remove"]),
        "local_time": st.sampled_from([None, time(9, 0), time(13, 0), time(18, 45)]),
        "weekday_shift": st.sampled_from([0, 0, 1, 5]),
        "interval_weeks": st.sampled_from([None, 1, 2, 3]),
        "duration_minutes": st.sampled_from([None, 45, 90]),
        "horizon_weeks": st.sampled_from([None, 8, 30]),
        "hand_moved": st.booleans(),
        "host_cancelled": st.booleans(),
        "earlier_skip": st.booleans(),
    }
)


@PROPERTIES
@given(edit=edits)
def test_applying_a_plan_does_exactly_what_it_shows(
    edit, upcoming_series, make_org, make_member, make_topic_for
):
    partners = [make_org("partner") for _ in range(4)]
    series = upcoming_series(partners=partners, horizon_weeks=20)
    calls = calls_of(series)
    for n, call in enumerate(calls[:6]):
        answer_rsvp(call, make_member(), ["yes", "maybe", "no"][n % 3])
    make_member("host", organisation=partners[0])  # hosts and topic supporters hear too
    make_topic_for(calls[4], voters=2)
    if edit["hand_moved"]:
        move_call(calls[1], calls[1].starts_at + timedelta(hours=3), 60)
    if edit["host_cancelled"]:
        cancel_call(calls[2], "Host away")
    db.session.commit()
    if edit["earlier_skip"]:
        save(series, skips=[(calls[4].slot_date, "Earlier holiday")])

    current = details_of(series)
    skips = [] if edit["drop_skips"] else list(current.skips)
    skips += [(calls[i].slot_date, "Holiday") for i in edit["add_skips"] if i < len(calls)]
    queue = current.rotation_ids
    rotation_ids = {
        "same": queue,
        "reverse": queue[::-1],
        "add": [*queue, make_org("partner").id],
        "remove": queue[1:],
    }[edit["rotation"]]
    changes = {"skips": sorted(dict(skips).items()), "rotation_ids": rotation_ids}
    if edit["weekday_shift"]:
        changes["weekday"] = (series.first_date.weekday() + edit["weekday_shift"]) % 7
    for name in ("local_time", "interval_weeks", "duration_minutes", "horizon_weeks"):
        if edit[name] is not None:
            changes[name] = edit[name]

    before = snapshot(series)
    hosts_before = {k: v[3] for k, v in before.items()}
    mail_before = db.session.scalar(select(func.count(OutboxMessage.id)))
    series = lock_for_edit(series.id)
    plan = plan_series_edit(series, details_of(series, **changes))
    shown = {s.call.id: s for s in plan.steps if s.call is not None}
    apply_series_plan(plan)
    db.session.commit()
    after = snapshot(series)

    # Existing calls: exactly the planned changes, and no host changes at all.
    assert {k: v[3] for k, v in after.items() if k in before} == hosts_before
    for call_id, was in before.items():
        now = after[call_id]
        step = shown.get(call_id)
        if step is None:
            assert now == was, call_id
        elif step.kind == Step.CANCEL:
            assert now[4] == CallStatus.CANCELLED and now[5] == was[5] + 1
            assert now[:4] == was[:4]
        elif step.kind in (Step.MOVE, Step.REINSTATE):
            assert (now[0], now[1], now[2]) == (step.slot_date, step.starts_at,
                                                step.duration_minutes)  # fmt: skip
            assert now[4] != CallStatus.CANCELLED and now[5] == was[5] + 1
        else:  # RETAG: another slot date or zone, the same time; nobody told
            assert now[0] == step.slot_date and now[1:] == was[1:]
    # New calls: exactly those planned, with the planned hosts.
    created = sorted((v[0], v[1], v[3]) for k, v in after.items() if k not in before)
    assert created == sorted((s.slot_date, s.starts_at, s.host_id) for s in plan.created)
    assert rotation.load_queue(series) == plan.queue
    # Who is told: exactly the people the preview names (among them all who answered).
    mail = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id).offset(mail_before)
    ).all()
    told = {m.email for m in plan.told}
    answered = {
        m.email
        for s in plan.steps
        if s.kind in (Step.CANCEL, Step.MOVE, Step.REINSTATE)
        for m in plan.audiences[s.call.id].coming + plan.audiences[s.call.id].declined
    }
    assert answered <= {m.recipient for m in mail} == told
    # Saving again changes nothing.
    again = plan_series_edit(series, details_of(series))
    assert again.is_empty, (again.changes, again.steps)


# --- the pages ------------------------------------------------------------------------------


def _form_of(series: Series, **changes) -> dict:
    d = details_of(series, **changes)
    data = {
        "name": d.name,
        "first_date": d.first_date.isoformat(),
        "weekday": str(d.weekday),
        "local_time": d.local_time.strftime("%H:%M"),
        "zone": d.zone,
        "interval_weeks": str(d.interval_weeks),
        "duration_minutes": str(d.duration_minutes),
        "horizon_weeks": str(d.horizon_weeks),
        "video_url": d.video_url or "",
        "dial_in_number": d.dial_in_number or "",
        "dial_in_code": d.dial_in_code or "",
        "description": d.description or "",
        "skips": "\n".join(f"{day.isoformat()} {reason or ''}" for day, reason in d.skips),
        "rotation_seen": ",".join(str(o) for o in d.rotation_seen),
    }
    data |= {f"rotation-{n}": str(o) for n, o in enumerate(d.rotation_ids)}
    return data


def test_the_edit_shows_the_plan_and_saves_only_on_confirming_it(
    network, make_member, client_for, deliver_mail
):
    series, _ = network
    call = calls_of(series)[3]
    coming = make_member(name="Rosa Rivera")
    answer_rsvp(call, coming, "yes")
    db.session.commit()
    deliver_mail()
    admin = client_for(make_member("admin"))
    form = admin.get(f"/admin/series/{series.id}/edit").get_data(as_text=True)
    assert "See what saving does" in form
    data = _form_of(series, skips=[(call.slot_date, "Christmas Eve")])

    preview = admin.post(f"/admin/series/{series.id}/edit", data=data)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Calls cancelled (1)" in page and "Rosa Rivera" in page and "Christmas Eve" in page
    assert "Every existing call keeps its host" in page
    db.session.refresh(call)
    assert not call.is_cancelled  # a preview changes nothing
    key = re.search(r'name="plan_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert hidden["skips"] == data["skips"]

    # A key from another plan (someone changed the calls meanwhile) shows the plan again.
    stale = admin.post(
        f"/admin/series/{series.id}/edit", data=data | {"plan_key": "0" * 32, "confirm": "1"}
    )
    assert "changed since you looked" in stale.get_data(as_text=True)
    db.session.refresh(call)
    assert not call.is_cancelled

    saved = admin.post(
        f"/admin/series/{series.id}/edit", data=data | {"plan_key": key, "confirm": "1"}
    )
    assert saved.status_code == 302
    db.session.refresh(call)
    assert call.is_cancelled
    assert [m["To"] for m in deliver_mail()] == [coming.email]
    form = admin.get(f"/admin/series/{series.id}/edit").get_data(as_text=True)
    assert f"Owed first: {call.host_organisation.name} (for the call of" in form
    unchanged = admin.post(f"/admin/series/{series.id}/edit", data=_form_of(series))
    assert unchanged.status_code == 302  # nothing to show, nothing to save


def test_change_something_goes_back_to_the_form_with_the_values(network, make_member, client_for):
    series, _ = network
    admin = client_for(make_member("admin"))
    data = _form_of(series, local_time=time(16, 0)) | {"revise": "1"}
    page = admin.post(f"/admin/series/{series.id}/edit", data=data).get_data(as_text=True)
    assert 'value="16:00"' in page and "See what saving does" in page
    assert all(c.starts_at.astimezone(NEW_YORK).hour == 13 for c in calls_of(series))


def test_a_new_series_is_saved_at_once_in_the_order_given(make_org, make_member, client_for):
    a, b = make_org("partner"), make_org("partner")
    admin = client_for(make_member("admin"))
    first = date.today() + timedelta(days=10)
    data = {
        "name": "Network call",
        "first_date": first.isoformat(),
        "weekday": str(first.weekday()),
        "local_time": "13:00",
        "zone": "America/New_York",
        "interval_weeks": "2",
        "duration_minutes": "60",
        "horizon_weeks": "10",
        "rotation-0": str(b.id),
        "rotation-1": str(a.id),
    }
    assert admin.post("/admin/series/new", data=data).status_code == 302
    series = db.session.scalar(select(Series))
    assert [c.host_organisation_id for c in calls_of(series)] == [b.id, a.id, b.id, a.id, b.id]
    assert rotation.load_queue(series).cycle == [a.id, b.id]
    twice = admin.post("/admin/series/new", data=data | {"name": "Other", "rotation-1": str(b.id)})
    assert "one place in the rotation" in twice.get_data(as_text=True)


def test_plan_dates_are_in_the_future_only(network):
    series, _ = network
    plan = plan_series_edit(series, details_of(series, local_time=time(7, 0)))
    assert all(s.starts_at > utcnow() for s in plan.steps)


@pytest.mark.postgres_only
def test_two_admins_confirming_one_plan_at_once_save_it_once(
    make_app, network, make_member, deliver_mail
):
    import threading

    series, _ = network
    holiday = calls_of(series)[3]
    answer_rsvp(holiday, make_member(), "yes")
    db.session.commit()
    deliver_mail()
    details = details_of(series, skips=[(holiday.slot_date, "Holiday")])
    key = plan_series_edit(series, details).key
    series_id = series.id
    barrier, results = threading.Barrier(2), []

    def confirm():
        app = make_app()
        with app.app_context():
            try:
                barrier.wait()
                locked = lock_for_edit(series_id)
                plan = plan_series_edit(locked, details)
                if plan.key == key:
                    apply_series_plan(plan)
                    results.append("saved")
                else:
                    results.append("shown again")
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["saved", "shown again"]
    db.session.expire_all()
    assert db.session.get(Call, holiday.id).revision == 1
    assert len(deliver_mail()) == 1
