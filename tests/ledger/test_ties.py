"""Which cities have met, how and when: each source, the weighting, one city's ledger."""

from datetime import UTC, date, datetime, timedelta

from convene.convenings.models import CallStatus, Rsvp, RsvpAnswer
from convene.extensions import db
from convene.ledger.sources import Kind
from convene.ledger.ties import (
    STRONG_TIE,
    WEIGHTS,
    Tie,
    city_ledger,
    city_ties,
    interactions,
    network_ties,
    people_from_tied_cities,
)
from tests.ledger.conftest import PAST

ZONE = "America/New_York"


def pair(*orgs):
    return frozenset(o.id for o in orgs)


def test_a_call_counts_once_per_pair_of_cities_whatever_the_headcount(
    make_city, make_member, held_call, make_org
):
    mesa, tulsa, boise = make_city("Mesa"), make_city("Tulsa"), make_city("Boise")
    partner = make_org("partner")
    people = [make_member(organisation=c) for c in (mesa, mesa, tulsa, tulsa, boise)]
    held_call(people + [make_member("host", organisation=partner)])
    ties = network_ties(ZONE)
    assert set(ties) == {pair(mesa, tulsa), pair(mesa, boise), pair(tulsa, boise)}
    assert ties[pair(tulsa, mesa)].counts == {Kind.CALL: 1}
    assert ties[pair(mesa, tulsa)].last_on == date(2026, 3, 12)
    assert ties[pair(mesa, tulsa)].how == "1 call"


def test_cancelled_calls_and_no_shows_do_not_count(make_city, make_member, held_call, make_call):
    mesa, tulsa, boise = make_city("Mesa"), make_city("Tulsa"), make_city("Boise")
    m, t, b = (make_member(organisation=c) for c in (mesa, tulsa, boise))
    cancelled = held_call([m, t])
    cancelled.status = CallStatus.CANCELLED
    # Boise said yes to a held call but is not in its attendance: a no-show.
    call = held_call([m, t], starts_at=PAST + timedelta(days=14))
    db.session.add(Rsvp(call=call, member=b, answer=RsvpAnswer.YES))
    # A call still ahead has RSVPs and no attendance.
    upcoming = make_call(starts_at=datetime.now(UTC) + timedelta(days=3))
    db.session.add_all([Rsvp(call=upcoming, member=x, answer=RsvpAnswer.YES) for x in (m, b)])
    db.session.commit()
    ties = network_ties(ZONE)
    assert set(ties) == {pair(mesa, tulsa)}
    assert ties[pair(mesa, tulsa)].counts == {Kind.CALL: 1}


def test_summit_tables_count_per_table_shared_in_published_seatings_only(
    make_city, make_member, make_ledger_summit, seat
):
    mesa, tulsa, boise, lincoln = (make_city(n) for n in ("Mesa", "Tulsa", "Boise", "Lincoln"))
    m1, m2, t, b, li = (make_member(organisation=c) for c in (mesa, mesa, tulsa, boise, lincoln))
    summit = make_ledger_summit()
    seat(summit, [[m1, m2, t], [b, li]])
    seat(summit, [[m1, b]], published=False)
    seat(summit, [[m1, li]], cancelled=True)
    ties = network_ties(ZONE)
    assert set(ties) == {pair(mesa, tulsa), pair(boise, lincoln)}
    assert ties[pair(mesa, tulsa)].counts == {Kind.TABLE: 1}
    assert ties[pair(mesa, tulsa)].how == "1 summit table"


def test_open_social_sessions_count_signed_up_places_not_the_waitlist(
    make_city, make_member, make_ledger_summit, sign_up
):
    mesa, tulsa, boise = make_city("Mesa"), make_city("Tulsa"), make_city("Boise")
    m, t, b = (make_member(organisation=c) for c in (mesa, tulsa, boise))
    summit = make_ledger_summit()
    sign_up(summit, [m, t], waitlisted=[b])
    sign_up(summit, [m, b], cancelled=True)
    ties = network_ties(ZONE)
    assert set(ties) == {pair(mesa, tulsa)}
    assert ties[pair(mesa, tulsa)].counts == {Kind.SOCIAL: 1}


def test_held_visits_tie_every_pair_of_their_cities_and_approved_ones_count_for_matching(
    make_city, make_visit
):
    louisville, mesa, tulsa, boise, lincoln = (
        make_city(n) for n in ("Louisville", "Mesa", "Tulsa", "Boise", "Lincoln")
    )
    make_visit(louisville, [mesa, tulsa], status="held", starts_on=date(2026, 10, 5))
    # Approved, its last day over: held, though nobody has written a report yet.
    make_visit(lincoln, [mesa], status="approved", starts_on=date(2026, 5, 4))
    make_visit(boise, [mesa], status="approved", starts_on=date(2030, 5, 1))  # still ahead
    for status in ("requested", "accepted", "declined", "cancelled"):
        make_visit(boise, [tulsa], status=status)
    make_visit(
        boise,
        [tulsa],
        status="dates_proposed",
        proposed_starts_on=date(2026, 6, 1),
        proposed_ends_on=date(2026, 6, 2),
    )
    ties = network_ties(ZONE)
    assert set(ties) == {
        pair(louisville, mesa),
        pair(louisville, tulsa),
        pair(mesa, tulsa),
        pair(lincoln, mesa),
    }
    assert all(t.counts == {Kind.VISIT: 1} for t in ties.values())
    assert ties[pair(mesa, tulsa)].last_on == date(2026, 10, 5)
    # The suggestions and the seating count the approved visit still ahead; the pages do not.
    assert set(city_ties()) == set(ties) | {pair(boise, mesa)}
    assert [c.city.name for c in city_ledger(mesa, ZONE).connections] == [
        "Lincoln",
        "Louisville",
        "Tulsa",
    ]


def test_strength_weighs_a_visit_over_a_table_over_a_call(
    make_city, make_member, held_call, make_ledger_summit, seat, make_visit
):
    assert WEIGHTS[Kind.VISIT] > WEIGHTS[Kind.TABLE] > WEIGHTS[Kind.SOCIAL] > WEIGHTS[Kind.CALL]
    mesa, tulsa, boise = make_city("Mesa"), make_city("Tulsa"), make_city("Boise")
    m, t, b = (make_member(organisation=c) for c in (mesa, tulsa, boise))
    held_call([m, t, b])
    held_call([m, t], starts_at=PAST + timedelta(days=14))
    seat(make_ledger_summit(), [[m, t], [b]])
    make_visit(mesa, [boise], status="held")
    ties = city_ties()
    assert ties[pair(mesa, tulsa)] == 2 * WEIGHTS[Kind.CALL] + WEIGHTS[Kind.TABLE]
    assert ties[pair(mesa, boise)] == WEIGHTS[Kind.CALL] + WEIGHTS[Kind.VISIT]
    assert ties[pair(tulsa, boise)] == WEIGHTS[Kind.CALL]
    assert ties[pair(mesa, boise)] >= STRONG_TIE > ties[pair(mesa, tulsa)]
    text = network_ties(ZONE)[pair(mesa, boise)].how
    assert text == "1 visit, 1 call"


def test_before_an_instant_only_what_started_earlier_counts(
    make_city, make_member, held_call, make_visit
):
    mesa, tulsa = make_city("Mesa"), make_city("Tulsa")
    m, t = make_member(organisation=mesa), make_member(organisation=tulsa)
    held_call([m, t])
    make_visit(mesa, [tulsa], starts_on=date(2026, 9, 1))
    assert city_ties()[pair(mesa, tulsa)] == WEIGHTS[Kind.CALL] + WEIGHTS[Kind.VISIT]
    assert city_ties(before=datetime(2026, 6, 1, tzinfo=UTC)) == {
        pair(mesa, tulsa): WEIGHTS[Kind.CALL]
    }
    assert city_ties(before=datetime(2026, 1, 1, tzinfo=UTC)) == {}


def test_tables_still_ahead_are_planned_and_weigh_nothing_yet(
    make_city, make_member, make_ledger_summit, seat
):
    mesa, tulsa = make_city("Mesa"), make_city("Tulsa")
    m, t = make_member(organisation=mesa), make_member(organisation=tulsa)
    seat(make_ledger_summit(starts_on=date(2030, 4, 10)), [[m, t]])
    assert network_ties(ZONE) == {}
    ledger = city_ledger(mesa, ZONE)
    (connection,) = ledger.connections
    (interaction,) = connection.interactions
    assert interaction.is_planned and not interaction.counts
    assert connection.strength == 0
    assert [c.name for c in ledger.never] == ["Tulsa"]


def test_a_citys_ledger_lists_how_and_when_strongest_first_and_who_it_has_not_met(
    make_city, make_member, held_call, make_ledger_summit, seat, make_visit
):
    mesa, tulsa, boise, lincoln = (make_city(n) for n in ("Mesa", "Tulsa", "Boise", "Lincoln"))
    m, t, b, _ = (make_member(organisation=c) for c in (mesa, tulsa, boise, lincoln))
    held_call([m, t, b], title="Open data portals")
    seat(make_ledger_summit(name="Summit 2026"), [[m, t]], title="Cross-city dinner")
    make_visit(boise, [mesa], status="held", starts_on=date(2026, 5, 4))
    ledger = city_ledger(mesa, ZONE)
    assert [c.city.name for c in ledger.connections] == ["Boise", "Tulsa"]
    assert [c.city.name for c in ledger.strongest] == ["Boise", "Tulsa"]
    assert [c.name for c in ledger.never] == ["Lincoln"]
    boise_row, tulsa_row = ledger.connections
    assert [(i.kind, i.on, i.what) for i in boise_row.interactions] == [
        (Kind.VISIT, date(2026, 5, 4), "Site visit: Performance management, hosted by Boise"),
        (Kind.CALL, date(2026, 3, 12), "Open data portals"),
    ]
    assert [(i.kind, i.what) for i in tulsa_row.interactions] == [
        (Kind.TABLE, "Summit 2026, Cross-city dinner (Night 1), Table 1"),
        (Kind.CALL, "Open data portals"),
    ]
    assert tulsa_row.tie.how == "1 summit table, 1 call"


def test_dates_are_the_days_the_reader_lives_them(make_city, make_member, held_call):
    mesa, tulsa = make_city("Mesa"), make_city("Tulsa")
    m, t = make_member(organisation=mesa), make_member(organisation=tulsa)
    held_call([m, t], starts_at=datetime(2026, 3, 13, 2, tzinfo=UTC))  # evening of the 12th
    assert network_ties("America/Phoenix")[pair(mesa, tulsa)].last_on == date(2026, 3, 12)
    assert network_ties("Europe/London")[pair(mesa, tulsa)].last_on == date(2026, 3, 13)


def test_people_from_strongly_tied_cities_count_as_having_met():
    ties = {frozenset((1, 2)): STRONG_TIE, frozenset((1, 3)): STRONG_TIE - 0.5}
    people = [(10, 1), (11, 1), (20, 2), (30, 3)]
    assert people_from_tied_cities(people, ties) == {(10, 20), (11, 20)}
    assert people_from_tied_cities(people, ties, threshold=1) == {
        (10, 20),
        (11, 20),
        (10, 30),
        (11, 30),
    }
    assert people_from_tied_cities([], ties) == set()


def test_the_ledger_runs_a_query_per_kind_of_occasion(
    make_city, make_member, held_call, count_queries
):
    mesa, tulsa = make_city("Mesa"), make_city("Tulsa")
    held_call([make_member(organisation=mesa), make_member(organisation=tulsa)])
    with count_queries() as q:
        network_ties(ZONE)
    assert q.count == len(Kind)
    with count_queries() as q:
        city_ledger(mesa, ZONE)
    assert q.count == len(Kind) + 1  # and the list of cities


def test_the_list_of_interactions_agrees_with_the_aggregate_for_every_pair(
    make_city, make_member, held_call, make_ledger_summit, seat, sign_up, make_visit
):
    cities = [make_city(n) for n in ("Mesa", "Tulsa", "Boise", "Lincoln", "Tempe")]
    people = [make_member(organisation=c) for c in cities for _ in range(2)]
    held_call(people[0:6])
    held_call(people[2:10], starts_at=PAST + timedelta(days=14), title="311 data")
    summit = make_ledger_summit()
    seat(summit, [people[0:3], people[3:7], people[7:10]])
    sign_up(summit, people[1:9:2])
    make_visit(cities[0], [cities[3], cities[4]], status="held")
    listed = interactions(ZONE)
    aggregated = network_ties(ZONE)
    assert set(listed) == set(aggregated)
    for pair_, shared in listed.items():
        tie = Tie(cities=pair_)
        for i in shared:
            tie.add(i.kind, 1, i.on)
        assert (tie.counts, tie.strength) == (aggregated[pair_].counts, aggregated[pair_].strength)
        assert tie.last_on == aggregated[pair_].last_on
    assert [i.what for i in listed[pair(cities[0], cities[3])]][0] == (
        "Site visit: Performance management"
    )
