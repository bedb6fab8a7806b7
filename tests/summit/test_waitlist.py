from datetime import UTC, datetime, timedelta

from convene.summit.waitlist import WaitingEntry, waitlist_order

T0 = datetime(2027, 1, 1, tzinfo=UTC)


def entry(id_, org, minutes):
    return WaitingEntry(id_, org, T0 + timedelta(minutes=minutes))


def test_first_in_first_out_among_represented_organisations():
    waiting = [entry("c", "x", 3), entry("a", "x", 1), entry("b", "y", 2)]
    assert [e.id for e in waitlist_order(waiting, represented={"x", "y"})] == ["a", "b", "c"]


def test_first_person_of_an_unrepresented_city_goes_ahead():
    waiting = [entry("a", "x", 1), entry("b", "y", 2), entry("c", "new", 3), entry("d", "new", 4)]
    order = [e.id for e in waitlist_order(waiting, represented={"x", "y"})]
    # Only the first of the new city jumps the queue; the second keeps its FIFO place.
    assert order == ["c", "a", "b", "d"]


def test_several_unrepresented_cities_go_ahead_in_arrival_order():
    waiting = [entry("a", "x", 1), entry("b", "p", 2), entry("c", "q", 3)]
    assert [e.id for e in waitlist_order(waiting, represented={"x"})] == ["b", "c", "a"]


def test_empty_waitlist():
    assert waitlist_order([], represented={"x"}) == []
