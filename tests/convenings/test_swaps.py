import threading
from datetime import UTC, datetime, timedelta

import pytest

from convene.convenings.errors import CallError
from convene.convenings.models import SwapRequest, SwapStatus
from convene.convenings.rescheduling import reassign_host
from convene.convenings.swaps import answer_swap, request_swap, withdraw_swap
from convene.extensions import db


@pytest.fixture
def two_partners(make_org, make_member, make_series, make_call):
    a, b = make_org("partner"), make_org("partner")
    series = make_series(partners=[a, b])
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    call_a = make_call(series=series, starts_at=soon, host_organisation_id=a.id)
    call_b = make_call(
        series=series, starts_at=soon + timedelta(days=14), host_organisation_id=b.id
    )
    host_a = make_member("host", organisation=a)
    host_b = make_member("host", organisation=b)
    return call_a, call_b, host_a, host_b


def test_accepted_swap_trades_hosts_and_both_sides_are_emailed(two_partners, deliver_mail):
    call_a, call_b, host_a, host_b = two_partners
    a_id, b_id = call_a.host_organisation_id, call_b.host_organisation_id
    swap = request_swap(host_a, call_a, call_b, "Our director is away that week.")
    db.session.commit()
    asked = deliver_mail()
    assert sorted(m["To"] for m in asked) == sorted([host_a.email, host_b.email])
    answer_swap(host_b, swap.id, accept=True)
    db.session.commit()
    assert (call_a.host_organisation_id, call_b.host_organisation_id) == (b_id, a_id)
    assert call_a.is_host_by_hand and call_b.is_host_by_hand
    assert call_a.revision == call_b.revision == 1
    answered = deliver_mail()
    assert sorted(m["To"] for m in answered) == sorted([host_a.email, host_b.email])
    assert all("accepted" in m["Subject"] for m in answered)


def test_declined_swap_changes_nothing(two_partners):
    call_a, call_b, host_a, host_b = two_partners
    swap = request_swap(host_a, call_a, call_b)
    answer_swap(host_b, swap.id, accept=False)
    db.session.commit()
    assert swap.status == SwapStatus.DECLINED
    assert call_a.revision == call_b.revision == 0
    with pytest.raises(CallError, match="already declined"):
        answer_swap(host_b, swap.id, accept=True)


def test_only_the_other_partner_answers_and_only_the_asker_withdraws(two_partners, make_member):
    call_a, call_b, host_a, host_b = two_partners
    swap = request_swap(host_a, call_a, call_b)
    db.session.commit()
    with pytest.raises(CallError, match="Only a host of"):
        answer_swap(host_a, swap.id, accept=True)
    with pytest.raises(CallError, match="Only a host of"):
        withdraw_swap(host_b, swap.id)
    with pytest.raises(CallError):
        answer_swap(make_member(), swap.id, accept=True)
    withdraw_swap(host_a, swap.id)
    assert swap.status == SwapStatus.WITHDRAWN


def test_a_host_cannot_offer_another_partners_call(two_partners):
    call_a, call_b, host_a, host_b = two_partners
    with pytest.raises(CallError, match="Only a host"):
        request_swap(host_a, call_b, call_a)


def test_one_pending_swap_per_call(two_partners, make_call):
    call_a, call_b, host_a, _host_b = two_partners
    request_swap(host_a, call_a, call_b)
    third = make_call(
        series=call_b.series,
        starts_at=call_b.starts_at + timedelta(days=14),
        host_organisation_id=call_b.host_organisation_id,
    )
    with pytest.raises(CallError, match="already has a swap"):
        request_swap(host_a, call_a, third)


def test_a_call_that_changed_hands_is_not_swapped(two_partners, make_org):
    call_a, call_b, host_a, host_b = two_partners
    swap = request_swap(host_a, call_a, call_b)
    reassign_host(call_b, make_org("partner"))
    db.session.commit()
    with pytest.raises(CallError, match="changed hands"):
        answer_swap(host_b, swap.id, accept=True)
    db.session.rollback()
    assert db.session.get(SwapRequest, swap.id).status == SwapStatus.PENDING


def test_admin_may_answer_for_a_partner(two_partners, make_member):
    call_a, call_b, host_a, _host_b = two_partners
    swap = request_swap(host_a, call_a, call_b)
    answer_swap(make_member("admin"), swap.id, accept=True)
    assert swap.status == SwapStatus.ACCEPTED


@pytest.mark.postgres_only
def test_accept_and_decline_at_once_one_wins(make_app, two_partners, make_member):
    call_a, call_b, host_a, host_b = two_partners
    other_b = make_member("host", organisation=host_b.organisation)
    swap = request_swap(host_a, call_a, call_b)
    db.session.commit()
    swap_id = swap.id
    results, barrier = [], threading.Barrier(4)

    def run(member_id, accept):
        app = make_app()
        with app.app_context():
            from convene.accounts.models import Member

            try:
                barrier.wait()
                answer_swap(db.session.get(Member, member_id), swap_id, accept=accept)
                db.session.commit()
                results.append("ok")
            except CallError:
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(m, accept))
        for m, accept in [(host_b.id, True), (other_b.id, False)] * 2
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused", "refused", "refused"]
    db.session.expire_all()
    call_a = db.session.get(type(call_a), call_a.id)
    final = db.session.get(SwapRequest, swap_id)
    swapped = call_a.host_organisation_id == host_b.organisation_id
    assert swapped == (final.status == SwapStatus.ACCEPTED)
    assert call_a.revision == (1 if swapped else 0)
