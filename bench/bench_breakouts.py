"""Benchmark of breakout rooms over a year: run by hand, prints quality figures and timings.

    python bench/bench_breakouts.py                # the reference year, seed 1
    python bench/bench_breakouts.py --seeds 1 2 3  # several years

The reference year: 26 calls; 30 cities of 3 people each; each person attends each call with
their own probability, drawn once between 60% and 90%; rooms of 4 to 5 (a room size of 5).
Each call's rooms are planned by convene/breakouts/rooms.py exactly as the app plans them,
and fed back as the app would read them: the ledger's tie strength between two cities (a
shared call weighs 1, a shared room 2: every room is taken as recorded), and for each person
the roommates at the last call they attended.

Targets:
- every pair of cities that both attended regularly (each had someone at half or more of the
  first 13 calls) has met within those 13 calls;
- at year end, for each pair of cities, meetings per call both attended: largest over mean
  at most 1.5;
- nobody shares a room with the same person at two consecutive calls they attend (so at
  two consecutive calls of the year too).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from itertools import combinations

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from convene.breakouts.rooms import Person, plan_rooms, room_count  # noqa: E402
from convene.ledger.sources import Kind  # noqa: E402
from convene.ledger.ties import WEIGHTS  # noqa: E402

CALLS, HALF, CITIES, PER_CITY, ROOM_SIZE = 26, 13, 30, 3, 5
REGULAR = 0.5  # a city attends regularly: someone at half or more of the first 13 calls
RATIO_TARGET = 1.5


def year(seed: int) -> dict:
    rng = random.Random(seed)
    people = [Person(c * PER_CITY + k, c, False) for c in range(CITIES) for k in range(PER_CITY)]
    rate = {p.id: rng.uniform(0.6, 0.9) for p in people}
    city_of = {p.id: p.organisation_id for p in people}
    met: dict[frozenset, float] = defaultdict(float)  # as the ledger's tie strength
    meetings: dict[frozenset, int] = defaultdict(int)  # shared rooms, by pair of cities
    together: dict[frozenset, int] = defaultdict(int)  # calls both cities attended
    city_calls: dict[int, int] = defaultdict(int)  # calls a city attended, of the first 13
    last_roommates: dict[int, set[int]] = {}  # each person's roommates at their last call
    previous_rooms: dict[int, int] = {}  # person -> room index at the call before
    repeats_consecutive = repeats_previous = 0
    met_by_half = None
    seconds = []
    for call in range(CALLS):
        here = [p for p in people if rng.random() < rate[p.id]]
        recent = {frozenset((p.id, q)) for p in here for q in last_roommates.get(p.id, ())}
        started = time.perf_counter()
        rooms = plan_rooms(here, room_count(len(here), size=ROOM_SIZE), met, recent, seed=call)
        seconds.append(time.perf_counter() - started)
        # The figures, then what the app would know at the next call.
        cities_here = sorted({city_of[p.id] for p in here})
        if call < HALF:
            for c in cities_here:
                city_calls[c] += 1
        for a, b in combinations(cities_here, 2):
            together[frozenset((a, b))] += 1
            met[frozenset((a, b))] += WEIGHTS[Kind.CALL]
        room_of = {}
        for index, room in enumerate(rooms):
            for pid in room:
                room_of[pid] = index
            shared = set()
            for x, y in combinations(room, 2):
                if frozenset((x, y)) in recent:
                    repeats_previous += 1
                if previous_rooms.get(x) is not None and previous_rooms.get(
                    x
                ) == previous_rooms.get(y):
                    repeats_consecutive += 1
                if city_of[x] != city_of[y]:
                    shared.add(frozenset((city_of[x], city_of[y])))
            for pair in shared:
                meetings[pair] += 1
                met[pair] += WEIGHTS[Kind.BREAKOUT]
            for pid in room:
                last_roommates[pid] = set(room) - {pid}
        previous_rooms = room_of
        if call == HALF - 1:
            met_by_half = {pair for pair, n in meetings.items() if n}
    pairs = [frozenset(p) for p in combinations(range(CITIES), 2)]
    regular = {c for c in range(CITIES) if city_calls[c] >= REGULAR * HALF}
    regular_pairs = [p for p in pairs if p <= regular]
    rates = [meetings[p] / together[p] for p in pairs if together[p]]
    mean, largest = statistics.mean(rates), max(rates)
    return {
        "met_13": sum(1 for p in pairs if p in met_by_half) / len(pairs),
        "met_26": sum(1 for p in pairs if meetings[p]) / len(pairs),
        "regular_pairs": len(regular_pairs),
        "regular_unmet_13": sum(1 for p in regular_pairs if p not in met_by_half),
        "mean": mean,
        "largest": largest,
        "smallest": min(rates),
        "ratio": largest / mean,
        "repeats_consecutive": repeats_consecutive,
        "repeats_previous": repeats_previous,
        "seconds_mean": statistics.mean(seconds),
        "seconds_max": max(seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    print(
        f"{CALLS} calls, {CITIES} cities x {PER_CITY} people, attendance 60-90% each, "
        f"rooms of at most {ROOM_SIZE} (4-5)"
    )
    print(
        f"'both attended regularly': each city had someone at >= {REGULAR:.0%} of the first "
        f"{HALF} calls"
    )
    all_met = True
    for seed in args.seeds:
        r = year(seed)
        ok_13 = r["regular_unmet_13"] == 0
        ok_ratio = r["ratio"] <= RATIO_TARGET
        ok_repeat = r["repeats_consecutive"] == 0 and r["repeats_previous"] == 0
        all_met &= ok_13 and ok_ratio and ok_repeat
        print(f"\nseed {seed}")
        print(f"  city pairs met after 13 calls: {r['met_13']:.1%}; after 26: {r['met_26']:.1%}")
        print(
            f"  regular pairs unmet after 13 calls: {r['regular_unmet_13']} of "
            f"{r['regular_pairs']}  [{'met' if ok_13 else 'MISSED'}]"
        )
        print(
            f"  meetings per call both attended: mean {r['mean']:.3f}, largest "
            f"{r['largest']:.3f}, smallest {r['smallest']:.3f}, largest/mean {r['ratio']:.2f} "
            f"(target <= {RATIO_TARGET})  [{'met' if ok_ratio else 'MISSED'}]"
        )
        print(
            f"  pairs of people in one room again at consecutive calls: "
            f"{r['repeats_consecutive']}; at each one's previous attended call: "
            f"{r['repeats_previous']}  [{'met' if ok_repeat else 'MISSED'}]"
        )
        print(f"  time per call: mean {r['seconds_mean']:.3f} s, max {r['seconds_max']:.3f} s")
    print("\nall targets met" if all_met else "\nsome targets MISSED")
    sys.exit(0 if all_met else 1)


if __name__ == "__main__":
    main()
