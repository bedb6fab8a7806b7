"""Who comes off the waitlist next.

First in, first out, with one exception that serves the summit's purpose (every city in the
room): the first person waiting from an organisation that has nobody confirmed yet goes
ahead of everyone from organisations already represented.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class WaitingEntry:
    id: Hashable
    organisation_id: Hashable
    registered_at: datetime


def waitlist_order(
    waiting: Iterable[WaitingEntry], represented: Iterable[Hashable]
) -> list[WaitingEntry]:
    """The waitlist in promotion order, given the organisations with someone confirmed.

    Promoting the first person of an unrepresented organisation makes it represented, so
    only that organisation's earliest entry jumps ahead; the rest keep their FIFO place.
    """
    fifo = sorted(waiting, key=lambda e: (e.registered_at, str(e.id)))
    seen = set(represented)
    ahead, behind = [], []
    for entry in fifo:
        if entry.organisation_id not in seen:
            seen.add(entry.organisation_id)
            ahead.append(entry)
        else:
            behind.append(entry)
    return ahead + behind
