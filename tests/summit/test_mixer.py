import hashlib
import math
import os
import random
import subprocess
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest

from convene.summit.mixer import (
    AssignmentImpossible,
    Attendee,
    Slot,
    Table,
    plan_seating,
    seating_report,
    validate_seating,
)

MIXER = Path(__file__).resolve().parents[2] / "convene" / "summit" / "mixer.py"


def make_attendees(sizes):
    """Attendees "o{org}-{k}" for organisations of the given sizes."""
    return [Attendee(f"o{o}-{k}", f"org{o}") for o, size in enumerate(sizes) for k in range(size)]


def make_slots(n_slots, n_tables, seats, absent=()):
    return [
        Slot(f"s{s}", [Table(f"t{t}", seats) for t in range(n_tables)], absent=absent)
        for s in range(n_slots)
    ]


def pair_meetings(tables):
    counts = Counter()
    for by_table in tables.values():
        for people in by_table.values():
            counts.update(frozenset(p) for p in combinations(people, 2))
    return counts


def random_instance(seed):
    rng = random.Random(seed)
    n = rng.randint(5, 40)
    attendees = [Attendee(f"a{i}", f"org{rng.randrange(max(1, n // 4))}") for i in range(n)]
    ids = [a.id for a in attendees]
    slots = []
    for s in range(rng.randint(1, 3)):
        absent = frozenset(rng.sample(ids, rng.randint(0, n // 3)))
        present = n - len(absent)
        n_tables = rng.randint(4, 7)
        caps = [rng.randint(2, 9) for _ in range(n_tables)]
        while sum(caps) < present + 2:
            caps[rng.randrange(n_tables)] += 1
        slots.append(Slot(f"s{s}", [Table(f"t{t}", c) for t, c in enumerate(caps)], absent))
    must_not = [tuple(rng.sample(ids, 2)) for _ in range(n // 5)]
    met_before = [tuple(rng.sample(ids, 2)) for _ in range(n // 2)]
    return attendees, slots, must_not, met_before


@pytest.mark.parametrize("seed", range(12))
def test_hard_constraints_hold_on_random_instances(seed):
    attendees, slots, must_not, met_before = random_instance(seed)

    seating = plan_seating(attendees, slots, met_before, must_not, seed=seed)

    assert validate_seating(attendees, slots, seating.tables, must_not) == []
    all_ids = {a.id for a in attendees}
    for slot in slots:
        seated = [x for people in seating.tables[slot.id].values() for x in people]
        assert sorted(seated) == sorted(all_ids - slot.absent)
        for table in slot.tables:
            assert len(seating.tables[slot.id][table.id]) <= table.seats


def test_zero_colleague_pairs_whenever_feasible():
    attendees = make_attendees([6, 6, 5, 5, 4, 4, 3, 3, 3, 3, 2, 2, 1, 1])  # 48 people
    slots = make_slots(2, 6, 8)

    report = plan_seating(attendees, slots, seed=3).report

    assert report.same_org_pairs_lower_bound == 0
    assert report.same_org_pairs == 0


def test_oversized_organisation_is_spread_as_evenly_as_possible():
    # org0 has 7 people for 3 tables: 3 + 2 + 2 is the best spread, 3 + 1 + 1 = 5 pairs
    attendees = make_attendees([7, 3, 3, 2, 2])
    slots = make_slots(1, 3, 6)

    seating = plan_seating(attendees, slots, seed=1)

    per_table = [
        sum(1 for x in people if x.startswith("o0-")) for people in seating.tables["s0"].values()
    ]
    assert max(per_table) == math.ceil(7 / 3)
    assert sorted(per_table) == [2, 2, 3]
    assert seating.report.same_org_pairs == seating.report.same_org_pairs_lower_bound == 5


def test_no_pair_meets_twice_when_feasible():
    attendees = make_attendees([5] * 12)  # 60 people, 12 organisations
    slots = make_slots(3, 10, 6)

    seating = plan_seating(attendees, slots, seed=7)

    assert max(pair_meetings(seating.tables).values()) == 1
    assert seating.report.max_pair_meetings == 1
    assert seating.report.repeat_meetings == 0
    assert seating.report.same_org_pairs == 0
    assert seating.report.new_pairs == 3 * 10 * 15


def test_repeats_spread_when_unavoidable():
    # 12 people at 2 tables of 6, twice: each second-slot table draws on both first-slot
    # tables, and 3 + 3 is the split with fewest repeats: 2 * (C(3,2) + C(3,2)) = 12.
    attendees = [Attendee(f"a{i}", f"org{i}") for i in range(12)]
    slots = make_slots(2, 2, 6)

    seating = plan_seating(attendees, slots, seed=2)

    meetings = pair_meetings(seating.tables)
    assert max(meetings.values()) == 2
    assert seating.report.max_pair_meetings == 2
    assert seating.report.repeat_meetings == 12 == sum(m - 1 for m in meetings.values())


def test_people_who_met_before_are_kept_apart_when_possible():
    attendees = make_attendees([4, 4, 4, 4, 4])  # 20 people
    ids = [a.id for a in attendees]
    rng = random.Random(5)
    met_before = {tuple(sorted(rng.sample(ids, 2))) for _ in range(25)}
    slots = make_slots(1, 4, 5)

    seating = plan_seating(attendees, slots, met_before=sorted(met_before), seed=5)

    together = pair_meetings(seating.tables)
    assert not [p for p in met_before if together[frozenset(p)]]
    assert seating.report.max_pair_meetings == 1
    assert seating.report.repeat_meetings == 0


def test_later_slots_bring_new_organisations():
    # 6 organisations of 4 at tables of 4, twice: six people met, five other organisations
    # to meet; everyone can meet all five.
    attendees = make_attendees([4] * 6)
    slots = make_slots(2, 6, 4)

    report = plan_seating(attendees, slots, seed=4).report

    assert report.distinct_orgs_met_mean_upper_bound == 5
    assert report.distinct_orgs_met_min == 5
    assert report.repeat_meetings == 0


def test_met_before_pairs_count_as_met():
    attendees = [Attendee(f"a{i}", f"org{i}") for i in range(4)]
    slots = make_slots(1, 1, 4)

    report = plan_seating(attendees, slots, met_before=[("a0", "a1"), ("a2", "nobody")]).report

    assert report.new_pairs == 5
    assert report.max_pair_meetings == 2
    assert report.repeat_meetings == 1


def test_same_seed_gives_same_seating_and_seeds_vary_it():
    attendees = make_attendees([5, 5, 4, 4, 3, 3, 3, 3])
    slots = make_slots(2, 5, 6, absent=frozenset({"o0-0"}))

    first = plan_seating(attendees, slots, seed=11)
    again = plan_seating(attendees, slots, seed=11)
    others = [plan_seating(attendees, slots, seed=s).tables for s in range(4)]

    assert first.tables == again.tables
    assert first.report == again.report
    assert any(tables != first.tables for tables in others)


def test_seating_does_not_depend_on_string_hashing():
    script = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('mixer', {str(MIXER)!r})\n"
        "m = importlib.util.module_from_spec(spec)\n"
        "sys.modules['mixer'] = m\n"
        "spec.loader.exec_module(m)\n"
        "people = [m.Attendee(f'p{i}', f'city{i % 7}') for i in range(40)]\n"
        "slots = [m.Slot(f's{s}', [m.Table(f't{t}', 6) for t in range(8)],"
        " absent={'p3', 'p9'}) for s in range(2)]\n"
        "s = m.plan_seating(people, slots, met_before=[('p1', 'p2')],"
        " must_not=[('p4', 'p5')], seed=4)\n"
        "print(json.dumps(s.tables, sort_keys=True))\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout
        digests.add(hashlib.sha256(out.encode()).hexdigest())
    assert len(digests) == 1


def test_more_people_than_seats_is_impossible():
    attendees = make_attendees([5, 5])
    slots = [Slot("dinner", [Table("t1", 4), Table("t2", 5)])]

    with pytest.raises(AssignmentImpossible, match=r"'dinner': 10 attendees present but only 9"):
        plan_seating(attendees, slots)


def test_absences_can_make_it_fit():
    attendees = make_attendees([5, 5])
    slots = [Slot("dinner", [Table("t1", 4), Table("t2", 5)], absent={"o0-0"})]

    seating = plan_seating(attendees, slots)

    seated = [x for people in seating.tables["dinner"].values() for x in people]
    assert "o0-0" not in seated
    assert len(seated) == 9
    assert seating.report.empty_seats == seating.report.empty_seats_lower_bound == 0


def test_inseparable_must_not_pairs_are_impossible():
    attendees = make_attendees([3, 3])
    triangle = [("o0-0", "o1-0"), ("o1-0", "o1-1"), ("o0-0", "o1-1")]

    with pytest.raises(AssignmentImpossible, match="must-not"):
        plan_seating(attendees, make_slots(1, 2, 3), must_not=triangle)
    with pytest.raises(AssignmentImpossible, match="single table"):
        plan_seating(attendees, make_slots(1, 1, 6), must_not=triangle[:1])


def test_must_not_pairs_are_kept_apart_even_against_colleague_spread():
    # Keeping the two org1 people apart from the org0 people forces colleagues together.
    attendees = make_attendees([2, 2])
    must_not = [("o0-0", "o1-0"), ("o0-0", "o1-1"), ("o0-1", "o1-0"), ("o0-1", "o1-1")]

    seating = plan_seating(attendees, make_slots(1, 2, 2), must_not=must_not)

    assert validate_seating(attendees, make_slots(1, 2, 2), seating.tables, must_not) == []
    assert seating.report.same_org_pairs == 2


def test_invalid_input_is_a_plain_value_error():
    with pytest.raises(ValueError, match="listed twice") as raised:
        plan_seating([Attendee("a", 1), Attendee("a", 2)], make_slots(1, 1, 2))
    assert not isinstance(raised.value, AssignmentImpossible)
    with pytest.raises(ValueError, match="themselves"):
        plan_seating([Attendee("a", 1)], make_slots(1, 1, 2), must_not=[("a", "a")])


def test_people_without_an_organisation_are_nobodys_colleagues():
    attendees = [Attendee(f"a{i}", None) for i in range(6)]
    tables = {"s0": {"t0": ["a0", "a1", "a2"], "t1": ["a3", "a4", "a5"]}}

    report = seating_report(attendees, make_slots(1, 2, 3), tables)

    assert report.same_org_pairs == 0
    assert report.new_pairs == 6
    assert report.distinct_orgs_met_min == 2


def test_tables_fill_evenly_when_there_is_room():
    attendees = [Attendee(f"a{i}", f"org{i}") for i in range(13)]

    seating = plan_seating(attendees, make_slots(1, 3, 10))

    sizes = sorted(len(p) for p in seating.tables["s0"].values())
    assert sizes == [4, 4, 5]
    assert seating.report.empty_seats == seating.report.empty_seats_lower_bound == 17


def test_report_of_a_hand_made_seating():
    attendees = [
        Attendee("A1", "A"),
        Attendee("A2", "A"),
        Attendee("B1", "B"),
        Attendee("B2", "B"),
        Attendee("C1", "C"),
        Attendee("D1", "D"),
    ]
    slots = [
        Slot("s1", [Table("t1", 3), Table("t2", 3), Table("t3", 2)]),
        Slot("s2", [Table("t1", 3), Table("t2", 4)], absent={"D1"}),
    ]
    tables = {
        "s1": {"t1": ["A1", "A2", "B1"], "t2": ["B2", "C1", "D1"], "t3": []},
        "s2": {"t1": ["A1", "B1", "C1"], "t2": ["A2", "B2"]},
    }

    report = seating_report(attendees, slots, tables, met_before=[("B1", "A1")])

    assert report.slots == 2
    assert report.attendees == 6
    assert (report.seats, report.seated) == (15, 11)
    # A2-B1, B2-C1, B2-D1, C1-D1, A1-C1, B1-C1, A2-B2; not A1-A2 (colleagues), A1-B1 (met)
    assert report.new_pairs == 7
    assert report.max_pair_meetings == 3  # A1-B1: met before, then twice here
    assert report.repeat_meetings == 2
    assert report.distinct_orgs_met == {"A1": 2, "A2": 1, "B1": 2, "B2": 3, "C1": 3, "D1": 2}
    assert report.distinct_orgs_met_mean == pytest.approx(13 / 6)
    assert report.distinct_orgs_met_min == 1
    # three other organisations for everyone; D1 sits once, at tables of at most 3
    assert report.distinct_orgs_met_mean_upper_bound == pytest.approx(17 / 6)
    assert report.same_org_pairs == 1
    assert report.same_org_pairs_by_table == {
        "s1": {"t1": 1, "t2": 0, "t3": 0},
        "s2": {"t1": 0, "t2": 0},
    }
    assert report.same_org_pairs_lower_bound == 0
    assert report.empty_seats == 4
    assert report.empty_seats_by_slot == {"s1": 2, "s2": 2}
    assert report.empty_seats_lower_bound == 4


def test_report_lower_bound_for_colleagues_over_tables():
    # 10 colleagues over 4 tables: 3 + 3 + 2 + 2 -> 3 + 3 + 1 + 1 = 8 pairs at least
    attendees = make_attendees([10, 1, 1, 1, 1, 1, 1])
    slots = make_slots(1, 4, 5)

    report = seating_report(attendees, slots, {})

    assert report.same_org_pairs_lower_bound == 8
    assert report.empty_seats_lower_bound == 4
    assert report.empty_seats == 20


def test_plan_report_matches_recomputed_report():
    attendees, slots, must_not, met_before = random_instance(99)

    seating = plan_seating(attendees, slots, met_before, must_not, seed=99)

    assert seating_report(attendees, slots, seating.tables, met_before) == seating.report


def test_validate_names_each_broken_rule():
    attendees = make_attendees([3, 2])  # o0-0 o0-1 o0-2 o1-0 o1-1
    slots = [Slot("s", [Table("t1", 2), Table("t2", 3)], absent={"o1-1"})]
    tables = {
        "s": {
            "t1": ["o0-0", "o1-0", "o0-1"],
            "t2": ["o1-1", "o0-1", "ghost"],
            "t9": [],
        },
        "elsewhere": {},
    }

    problems = validate_seating(attendees, slots, tables, must_not=[("o0-0", "o1-0")])

    expected = [
        "unknown slot 'elsewhere'",
        "table 't1': 3 seated but only 2 seats",
        "'o0-0' and 'o1-0' must not sit together",
        "'o1-1' is seated but absent",
        "'o0-1' is seated twice",
        "unknown attendee 'ghost'",
        "table 't9': unknown table",
        "'o0-2' is present but not seated",
    ]
    for text in expected:
        assert any(text in p for p in problems), text
    assert len(problems) == len(expected)
    assert validate_seating(attendees, slots, {"s": {"t1": ["o0-0", "o1-0"]}}) != []
