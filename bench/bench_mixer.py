"""Benchmark of the social-session seating: run by hand, prints timings and quality figures.

    python bench/bench_mixer.py            # the two reference sizes
    python bench/bench_mixer.py --people 600 --orgs 120 --slots 4 --tables 60 --seats 10

The reference targets: 150 attendees (32 organisations, 3 slots of 15 tables of 10) in under
2 s with no colleagues together and no pair meeting twice; 2,000 attendees in under 30 s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from convene.summit.mixer import Attendee, Slot, Table, plan_seating


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
    slot_list = [
        Slot(f"s{s}", [Table(f"s{s}t{t}", seats) for t in range(tables)]) for s in range(slots)
    ]
    return attendees, slot_list, sizes


def run(
    people: int, orgs: int, slots: int, tables: int, seats: int, seed: int, target: float | None
) -> None:
    attendees, slot_list, sizes = build(people, orgs, slots, tables, seats, seed)
    started = time.perf_counter()
    seating = plan_seating(attendees, slot_list, seed=seed)
    elapsed = time.perf_counter() - started
    r = seating.report
    verdict = ""
    if target is not None:
        verdict = f"(target < {target:g} s: {'met' if elapsed < target else 'MISSED'})"
    rows = [
        ("time", f"{elapsed:.2f} s", verdict),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int)
    parser.add_argument("--orgs", type=int, default=32)
    parser.add_argument("--slots", type=int, default=3)
    parser.add_argument("--tables", type=int, default=15)
    parser.add_argument("--seats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.people:
        run(args.people, args.orgs, args.slots, args.tables, args.seats, args.seed, None)
        return
    run(150, 32, 3, 15, 10, args.seed, 2.0)
    run(2000, 200, 3, 200, 10, args.seed, 30.0)


if __name__ == "__main__":
    main()
