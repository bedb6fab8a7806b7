"""The planner seats the whole schedule at once, and says "impossible" only with a proof."""

import itertools
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convene.summit import mixer
from convene.summit.mixer import (
    AssignmentImpossible,
    Attendee,
    SeatingNotFound,
    Slot,
    Table,
    plan_seating,
    validate_seating,
)


def golfers(groups, size, rounds):
    attendees = [Attendee(f"g{i}", f"org{i}") for i in range(groups * size)]
    slots = [Slot(f"r{r}", [Table(f"t{t}", size) for t in range(groups)]) for r in range(rounds)]
    return attendees, slots


def meetings(tables):
    counts = Counter()
    for by_table in tables.values():
        for people in by_table.values():
            counts.update(frozenset(p) for p in itertools.combinations(people, 2))
    return counts


@pytest.mark.parametrize(
    ("groups", "size", "rounds"), [(5, 3, 7), (4, 4, 5), (5, 5, 6), (6, 3, 8), (7, 3, 9)]
)
def test_social_golfers_never_meet_twice(groups, size, rounds):
    attendees, slots = golfers(groups, size, rounds)

    seating = plan_seating(attendees, slots, seed=0)

    assert seating.report.repeat_meetings == 0
    assert max(meetings(seating.tables).values()) == 1
    assert validate_seating(attendees, slots, seating.tables) == []


def test_must_not_pairs_that_fill_the_tables_exactly_are_kept_apart():
    # Two groups of three who must each avoid the whole other group, at two tables of three:
    # the only seating puts each group at a table of its own, colleagues or not.
    attendees = [Attendee(f"x{i}", f"org{i % 3}") for i in range(3)]
    attendees += [Attendee(f"y{i}", f"org{i % 3}") for i in range(3)]
    must_not = [(f"x{i}", f"y{j}") for i in range(3) for j in range(3)]
    slots = [Slot(f"s{k}", [Table("t0", 3), Table("t1", 3)]) for k in range(2)]

    seating = plan_seating(attendees, slots, must_not=must_not, seed=1, effort=0.1)

    assert validate_seating(attendees, slots, seating.tables, must_not) == []
    for by_table in seating.tables.values():
        assert sorted(sorted(p) for p in by_table.values()) == [
            ["x0", "x1", "x2"],
            ["y0", "y1", "y2"],
        ]


def test_a_clique_larger_than_the_tables_is_impossible_and_named():
    attendees = [Attendee(f"a{i}", f"org{i}") for i in range(8)]
    clique = list(itertools.combinations(["a0", "a1", "a2", "a3"], 2))
    slots = [Slot("dinner", [Table(f"t{t}", 4) for t in range(3)])]

    with pytest.raises(AssignmentImpossible, match="only 3 tables") as raised:
        plan_seating(attendees, slots, must_not=clique)
    for name in ("'a0'", "'a1'", "'a2'", "'a3'"):
        assert name in str(raised.value)
    assert "'a4'" not in str(raised.value)


def test_an_odd_cycle_with_two_tables_is_impossible_and_named():
    attendees = [Attendee(f"a{i}", f"org{i}") for i in range(10)]
    cycle = [("a0", "a1"), ("a1", "a2"), ("a2", "a3"), ("a3", "a4"), ("a4", "a0")]
    slots = [Slot("dinner", [Table("t0", 5), Table("t1", 5)])]

    with pytest.raises(AssignmentImpossible, match="no way to keep every must-not pair") as raised:
        plan_seating(attendees, slots, must_not=cycle)
    assert all(f"'a{i}'" in str(raised.value) for i in range(5))


def test_capacity_can_make_an_even_cycle_impossible():
    # a0..a5 in a cycle need three at each table, but one table has two seats
    attendees = [Attendee(f"a{i}", f"org{i}") for i in range(6)]
    cycle = [(f"a{i}", f"a{(i + 1) % 6}") for i in range(6)]
    slots = [Slot("dinner", [Table("t0", 4), Table("t1", 2)])]

    with pytest.raises(AssignmentImpossible):
        plan_seating(attendees, slots, must_not=cycle)


def test_a_search_without_a_proof_gives_its_best_seating(monkeypatch):
    # Pretend the exact search ran out of budget and the planner had no time: the result is
    # "not found", with the best seating, never "impossible".
    monkeypatch.setattr(
        mixer, "_colour", lambda graph, caps, budget: (_ for _ in ()).throw(mixer._OutOfBudget())
    )
    monkeypatch.setattr(
        mixer, "_search_slot", lambda search, *args: _everyone_at_the_first_table(search)
    )
    monkeypatch.setattr(mixer, "_schedule_steps", lambda problem, effort: 0)
    attendees = [Attendee(f"a{i}", f"org{i}") for i in range(4)]
    slots = [Slot("dinner", [Table("t0", 4), Table("t1", 4)])]

    with pytest.raises(SeatingNotFound, match="1 such pair together") as raised:
        plan_seating(attendees, slots, must_not=[("a0", "a1")])
    assert not isinstance(raised.value, AssignmentImpossible)
    best = raised.value.best
    assert raised.value.pairs_together == 1
    assert sorted(best.tables["dinner"]["t0"]) == ["a0", "a1", "a2", "a3"]
    assert validate_seating(attendees, slots, best.tables, [("a0", "a1")]) == [
        "slot 'dinner', table 't0': 'a0' and 'a1' must not sit together"
    ]


def _everyone_at_the_first_table(search):
    for a in search.present:
        search._place(a, 0)


def test_two_large_organisations_reach_the_colleague_floor_quickly():
    attendees = [Attendee(f"a{i}", "north" if i < 250 else "south") for i in range(400)]
    slots = [Slot(f"s{k}", [Table(f"t{t}", 10) for t in range(40)]) for k in range(3)]

    seating = plan_seating(attendees, slots, seed=0, effort=0.5)

    report = seating.report
    assert report.same_org_pairs == report.same_org_pairs_lower_bound
    assert report.repeat_meetings == 0


def _brute_force_seatable(n, caps, must):
    """Whether n people fit the tables with no must-not pair together, trying everything."""
    for where in itertools.product(range(len(caps)), repeat=n):
        if all(where.count(t) <= c for t, c in enumerate(caps)) and all(
            where[i] != where[j] for i, j in must
        ):
            return True
    return False


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 7),
    caps=st.lists(st.integers(0, 4), min_size=1, max_size=3),
    edges=st.sets(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=10),
    orgs=st.lists(st.integers(0, 2), min_size=7, max_size=7),
    seed=st.integers(0, 5),
)
def test_hard_constraints_hold_or_brute_force_agrees_it_is_impossible(n, caps, edges, orgs, seed):
    must = sorted({(min(i, j), max(i, j)) for i, j in edges if i != j and i < n and j < n})
    attendees = [Attendee(f"a{i}", orgs[i]) for i in range(n)]
    slots = [Slot("s", [Table(f"t{t}", c) for t, c in enumerate(caps)])]
    must_not = [(f"a{i}", f"a{j}") for i, j in must]

    try:
        seating = plan_seating(attendees, slots, must_not=must_not, seed=seed, effort=0.05)
    except AssignmentImpossible:
        assert not _brute_force_seatable(n, caps, must)
    else:
        assert validate_seating(attendees, slots, seating.tables, must_not) == []


def test_planning_is_reproducible():
    rng = random.Random(3)
    attendees = [Attendee(f"a{i}", f"org{rng.randrange(6)}") for i in range(30)]
    slots = [Slot(f"s{k}", [Table(f"t{t}", 5) for t in range(6)]) for k in range(3)]
    must_not = [("a0", "a1"), ("a2", "a3")]

    first = plan_seating(attendees, slots, must_not=must_not, seed=5)
    again = plan_seating(attendees, slots, must_not=must_not, seed=5)

    assert first.tables == again.tables


def test_pairs_met_at_earlier_summits_meet_again_less_often():
    rng = random.Random(2)
    attendees = [Attendee(f"a{i}", f"org{rng.randrange(10)}") for i in range(48)]
    slots = [Slot(f"s{k}", [Table(f"t{t}", 6) for t in range(8)]) for k in range(3)]
    met = set()
    for earlier in (1, 2):
        for by_table in plan_seating(attendees, slots, seed=earlier).tables.values():
            for people in by_table.values():
                met.update(itertools.combinations(sorted(people), 2))

    blind = plan_seating(attendees, slots, seed=0)
    aware = plan_seating(attendees, slots, met_before=sorted(met), seed=0)

    blind_repeats = mixer.seating_report(attendees, slots, blind.tables, met).repeat_meetings
    floor = blind.report.same_org_pairs_lower_bound
    assert aware.report.same_org_pairs == blind.report.same_org_pairs == floor
    assert aware.report.repeat_meetings * 2 <= blind_repeats
