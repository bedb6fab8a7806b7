"""Benchmark of the social-session seating: run by hand, prints timings and quality figures.

    python bench/bench_mixer.py            # every reference instance
    python bench/bench_mixer.py --people 600 --orgs 120 --slots 4 --tables 60 --seats 10

The reference targets:
- summits: 150 attendees (32 organisations, 3 slots of 15 tables of 10) in under 2 s with no
  colleagues together and no pair meeting twice; 2,000 attendees (200 organisations) the same
  in under 10 s; 2,000 attendees of only 2 organisations in under 10 s (colleague pairs are
  then unavoidable: the figure to reach is the lower bound);
- social golfers (one person per organisation, every table the same size, as many rounds as
  slots): 5x3 over 7 rounds, 4x4 over 5, 5x5 over 6, 6x3 over 8, 8x4 over 9 (groups x size
  over rounds), each with no pair meeting twice, in under 10 s;
- a third summit for the 150 of the first instance, after two earlier summits planned with
  other seeds whose tables count as met: re-meetings at least 30% fewer than the previous
  planner's.

In a git checkout the previous planner (commit 2b903d2) is run on the same instances too.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time
from itertools import combinations

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from convene.summit import mixer  # noqa: E402
from convene.summit.mixer import Attendee, Slot, Table  # noqa: E402

PREVIOUS = "2b903d2"


def previous_planner():
    """The planner as it was before whole-schedule search, or None outside a git checkout."""
    try:
        source = subprocess.run(
            ["git", "show", f"{PREVIOUS}:convene/summit/mixer.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = os.path.join(tempfile.mkdtemp(), "previous_mixer.py")
    with open(path, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("previous_mixer", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["previous_mixer"] = module
    spec.loader.exec_module(module)
    return module


def organisation_sizes(people: int, orgs: int, rng: random.Random) -> list[int]:
    """Delegation sizes shaped like the network: many cities of 3-6 people, a few partners
    with larger teams; scaled so they add up to `people`."""
    partners = max(1, round(orgs * 0.15))
    sizes = [rng.randint(3, 6) for _ in range(orgs - partners)]
    sizes += [rng.randint(6, 12) for _ in range(partners)]
    scale = people / sum(sizes)
    sizes = [max(1, round(s * scale)) for s in sizes]
    order = list(range(orgs))
    while sum(sizes) != people:
        rng.shuffle(order)
        step = 1 if sum(sizes) < people else -1
        for i in order:
            if sum(sizes) == people:
                break
            if sizes[i] + step >= 1:
                sizes[i] += step
    return sizes


def build(people: int, orgs: int, slots: int, tables: int, seats: int, seed: int):
    rng = random.Random(seed)
    sizes = organisation_sizes(people, orgs, rng)
    attendees = [
        Attendee(f"p{len(sizes) * k + org}", f"org{org}")
        for org, size in enumerate(sizes)
        for k in range(size)
    ]
    return attendees, shape(slots, tables, seats), sizes


def shape(slots: int, tables: int, seats: int) -> list[Slot]:
    return [Slot(f"s{s}", [Table(f"s{s}t{t}", seats) for t in range(tables)]) for s in range(slots)]


def timed(module, attendees, slots, met_before=(), seed=0):
    started = time.perf_counter()
    seating = module.plan_seating(attendees, slots, met_before=met_before, seed=seed)
    return seating, time.perf_counter() - started


def verdict(elapsed: float, target: float | None) -> str:
    if target is None:
        return ""
    return f"(target < {target:g} s: {'met' if elapsed < target else 'MISSED'})"


def summit(people, orgs, slots, tables, seats, seed, target, previous) -> None:
    attendees, slot_list, sizes = build(people, orgs, slots, tables, seats, seed)
    seating, elapsed = timed(mixer, attendees, slot_list, seed=seed)
    r = seating.report
    rows = [
        ("time", f"{elapsed:.2f} s", verdict(elapsed, target)),
        ("same-org pairs", r.same_org_pairs, f"(lower bound {r.same_org_pairs_lower_bound})"),
        ("repeat meetings", r.repeat_meetings, f"(most meetings of a pair {r.max_pair_meetings})"),
        ("new pairs met", r.new_pairs, ""),
        (
            "distinct orgs met",
            f"mean {r.distinct_orgs_met_mean:.2f}, min {r.distinct_orgs_met_min}",
            f"(mean at most {r.distinct_orgs_met_mean_upper_bound:.2f})",
        ),
        ("empty seats", r.empty_seats, f"(lower bound {r.empty_seats_lower_bound})"),
    ]
    print(
        f"{people} attendees, {orgs} organisations (sizes {min(sizes)}-{max(sizes)}), "
        f"{slots} slots x {tables} tables x {seats} seats, seed {seed}"
    )
    for label, value, note in rows:
        print(f"  {label:<18} {value!s:>20}  {note}".rstrip())
    if previous is not None:
        old, old_elapsed = timed(previous, attendees, slot_list, seed=seed)
        o = old.report
        print(
            f"  previous planner: {old_elapsed:.2f} s, same-org pairs {o.same_org_pairs}, "
            f"repeats {o.repeat_meetings}, distinct orgs met mean "
            f"{o.distinct_orgs_met_mean:.2f}"
        )


def golfers(groups: int, size: int, rounds: int, seed: int, previous) -> None:
    attendees = [Attendee(f"g{i}", f"org{i}") for i in range(groups * size)]
    slot_list = shape(rounds, groups, size)
    seating, elapsed = timed(mixer, attendees, slot_list, seed=seed)
    line = (
        f"social golfers {groups}x{size} over {rounds} rounds: {elapsed:.2f} s, "
        f"repeats {seating.report.repeat_meetings} {verdict(elapsed, 10.0)}"
    )
    if previous is not None:
        old, old_elapsed = timed(previous, attendees, slot_list, seed=seed)
        line += f"; previous planner {old_elapsed:.2f} s, repeats {old.report.repeat_meetings}"
    else:
        line += "; (previous planner not available)"
    print(line)


def met_pairs(tables) -> set[tuple[str, str]]:
    return {
        tuple(sorted(pair))
        for by_table in tables.values()
        for people in by_table.values()
        for pair in combinations(people, 2)
    }


def third_summit(seed: int, previous) -> None:
    """Two earlier summits' tables count as met; the third summit should bring new faces.

    The earlier summits are planned by the previous planner when it is available, so that
    the instance stays the same whatever the planner under test does."""
    attendees, slot_list, _sizes = build(150, 32, 3, 15, 10, seed)
    met: set[tuple[str, str]] = set()
    planner = previous or mixer
    for earlier in (seed + 1, seed + 2):
        met |= met_pairs(planner.plan_seating(attendees, slot_list, seed=earlier).tables)
    met_before = sorted(met)
    seating, elapsed = timed(mixer, attendees, slot_list, met_before, seed)
    r = seating.report
    line = (
        f"third summit, 150 attendees, {len(met_before)} pairs met at two earlier summits: "
        f"{elapsed:.2f} s, re-meetings {r.repeat_meetings}, same-org pairs {r.same_org_pairs}"
    )
    if previous is not None:
        old, old_elapsed = timed(previous, attendees, slot_list, met_before, seed)
        before = old.report.repeat_meetings
        fewer = f"{100 * (before - r.repeat_meetings) / before:.0f}% fewer" if before else "-"
        line += (
            f"; previous planner {old_elapsed:.2f} s, re-meetings {before} "
            f"(target: at least 30% fewer; {fewer})"
        )
    else:
        line += "; (previous planner not available)"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int)
    parser.add_argument("--orgs", type=int, default=32)
    parser.add_argument("--slots", type=int, default=3)
    parser.add_argument("--tables", type=int, default=15)
    parser.add_argument("--seats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-previous", action="store_true", help="skip the previous planner")
    args = parser.parse_args()
    previous = None if args.no_previous else previous_planner()
    if previous is None and not args.no_previous:
        print("(previous planner not available)")
    if args.people:
        summit(
            args.people, args.orgs, args.slots, args.tables, args.seats, args.seed, None, previous
        )
        return
    summit(150, 32, 3, 15, 10, args.seed, 2.0, previous)
    summit(2000, 200, 3, 200, 10, args.seed, 10.0, previous)
    summit(2000, 2, 3, 200, 10, args.seed, 10.0, previous)
    for groups, size, rounds in ((5, 3, 7), (4, 4, 5), (5, 5, 6), (6, 3, 8), (8, 4, 9)):
        golfers(groups, size, rounds, args.seed, previous)
    third_summit(args.seed, previous)


if __name__ == "__main__":
    main()
