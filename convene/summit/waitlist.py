"""Who comes off the waitlist next.

First in, first out, with one exception that serves the summit's purpose (every city in the
room): the first person waiting from an organisation that has nobody confirmed yet goes
ahead of everyone from organisations already represented.

Programme staff may order the front of the waitlist by hand (someone moved up or down, with
a reason). Those people carry a rank and keep the order staff gave them, ahead of everyone
else; the rest queue behind them by the rule above, so a later registration never jumps a
place that staff decided.
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class WaitingEntry:
    id: Hashable
    organisation_id: Hashable
    registered_at: datetime
    rank: int | None = None  # set by hand: 1 is first


def waitlist_order(
    waiting: Iterable[WaitingEntry], represented: Iterable[Hashable]
) -> list[WaitingEntry]:
    """The waitlist in promotion order, given the organisations with someone confirmed.

    Promoting the first person of an unrepresented organisation makes it represented, so
    only that organisation's earliest entry jumps ahead; the rest keep their FIFO place.
    An organisation with someone in the ranked front is not waiting for its first place.
    """
    waiting = list(waiting)
    ranked = sorted(
        (e for e in waiting if e.rank is not None),
        key=lambda e: (e.rank, e.registered_at, str(e.id)),
    )
    fifo = sorted(
        (e for e in waiting if e.rank is None), key=lambda e: (e.registered_at, str(e.id))
    )
    seen = set(represented) | {e.organisation_id for e in ranked}
    ahead, behind = [], []
    for entry in fifo:
        if entry.organisation_id not in seen:
            seen.add(entry.organisation_id)
            ahead.append(entry)
        else:
            behind.append(entry)
    return ranked + ahead + behind


def moved(order: Sequence[WaitingEntry], entry_id: Hashable, steps: int) -> dict[Hashable, int]:
    """The ranks that move one entry `steps` places (negative: towards the front).

    Everyone from the front down to the lower of the two places, and everyone already
    ranked, is ranked afresh in the new order: the places staff decided hold, and nobody
    behind them changes place. Raises ValueError if the entry cannot move that way.
    """
    ids = [e.id for e in order]
    index = ids.index(entry_id)
    target = index + steps
    if steps == 0 or not 0 <= target < len(ids):
        raise ValueError("no such place")
    ids.insert(target, ids.pop(index))
    already = max((i for i, e in enumerate(order) if e.rank is not None), default=-1)
    last = max(index, target, already)
    return {entry: rank for rank, entry in enumerate(ids[: last + 1], start=1)}
