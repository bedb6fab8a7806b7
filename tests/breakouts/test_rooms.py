"""The pure planner: plain data in, rooms out."""

from hypothesis import given, settings
from hypothesis import strategies as st

from convene.breakouts.rooms import Person, leave, place_late, plan_rooms, room_count


def city_people(cities: int, per_city: int) -> list[Person]:
    return [Person(c * 10 + k, c, False) for c in range(cities) for k in range(per_city)]


def sizes(rooms) -> list[int]:
    return [len(r) for r in rooms]


def org_of(people):
    return {p.id: p.organisation_id for p in people}


def test_room_count_from_count_or_size():
    assert room_count(23, count=4) == 4
    assert room_count(23, size=5) == 5
    assert room_count(0, size=5) == 1
    assert room_count(1000, size=2, most=100) == 100


def test_sizes_within_one_and_everyone_once():
    people = city_people(7, 3)
    rooms = plan_rooms(people, 5, {}, set())
    assert max(sizes(rooms)) - min(sizes(rooms)) <= 1
    assert sorted(i for r in rooms for i in r) == sorted(p.id for p in people)


def test_colleagues_apart():
    people = city_people(6, 3)
    orgs = org_of(people)
    for room in plan_rooms(people, 4, {}, set()):
        assert len({orgs[i] for i in room}) == len(room)


def test_recent_roommates_are_not_together_again():
    people = city_people(12, 1)
    first = plan_rooms(people, 4, {}, set())  # 4 rooms of 3, then 3 of 4: one from each
    recent = {frozenset((a, b)) for r in first for a in r for b in r if a != b}
    second = plan_rooms(people, 3, {}, recent, seed=5)
    for room in second:
        assert not any(frozenset((a, b)) in recent for a in room for b in room if a != b)


def test_partners_spread():
    people = city_people(8, 1) + [Person(100 + i, 50 + i, True) for i in range(3)]
    rooms = plan_rooms(people, 3, {}, set())
    assert sorted(sum(1 for i in r if i >= 100) for r in rooms) == [1, 1, 1]


def test_unmet_city_pairs_come_first():
    # Four cities in two rooms of two: 0 and 1 met often, 2 and 3 too; the others never.
    people = city_people(4, 1)
    met = {frozenset((0, 1)): 6.0, frozenset((2, 3)): 6.0}
    rooms = plan_rooms(people, 2, met, set())
    pairs = {frozenset(r) for r in rooms}
    assert frozenset((0, 10)) not in pairs and frozenset((20, 30)) not in pairs


def test_a_replan_moves_few():
    people = city_people(8, 2)
    rooms = plan_rooms(people, 4, {}, set())
    current = {i: r for r, room in enumerate(rooms) for i in room}
    again = plan_rooms(people, 4, {}, set(), seed=9, current=current)
    assert {i: r for r, room in enumerate(again) for i in room} == current


def test_fixed_people_keep_their_room():
    people = city_people(6, 2)
    rooms = plan_rooms(people, 3, {}, set(), fixed={0: 2, 1: 2})
    assert {0, 1} <= set(rooms[2])


def test_place_late_picks_a_smallest_room_without_colleagues():
    people = city_people(5, 1)
    rooms = [[people[0], people[1]], [people[2], people[3]], [people[4]]]
    assert place_late(rooms, Person(99, 9, False), {}, set()) == 2
    rooms = [[people[0], people[1]], [people[2]], [people[4]]]
    assert place_late(rooms, Person(41, 4, False), {}, set()) == 1  # not with a colleague


def test_leave_moves_nobody_or_one():
    people = city_people(5, 1)
    rooms = [[people[0], people[1]], [people[2], people[3]], [people[4]]]
    assert leave(rooms, people[0].id) == []
    moves = leave(rooms, people[4].id)
    assert len(moves) == 1
    moved, src, dst = moves[0]
    assert dst == 2 and src in (0, 1) and moved in {p.id for p in rooms[src]}
    assert leave(rooms, people[4].id, fixed={0, 10, 20, 30}) == []


@settings(max_examples=40, deadline=None)
@given(
    orgs=st.lists(st.integers(0, 6), min_size=1, max_size=30),
    count=st.integers(1, 8),
    seed=st.integers(0, 5),
)
def test_every_person_placed_once_sizes_within_one(orgs, count, seed):
    people = [Person(i, org, org == 6) for i, org in enumerate(orgs)]
    rooms = plan_rooms(people, count, {}, set(), seed=seed)
    assert len(rooms) == count
    assert sorted(i for r in rooms for i in r) == list(range(len(orgs)))
    assert max(sizes(rooms)) - min(sizes(rooms)) <= 1
