"""What a city can share: its list of practice areas, and the evidence that suggests more.

The list is the city's champion's (CityStrength rows). Two things in the network's own
record suggest an area, and are shown beside the list and given as reasons when visits are
suggested:

- it *presented* on a call: a member of the city proposed the call's topic and offered to
  share their experience (`Topic.will_share_experience`), and the call has taken place (it
  is held, or has started and was not cancelled). Calls are hosted by partners, so a call's
  host says nothing about a city: the topic's proposer is who presented;
- it *offered* to share: a topic its people proposed with that offer, not (yet) presented
  on a call, and not declined or merged away.

A topic or call is about an area when its title or description holds one of the area's
terms (its name and keywords) at the start of a word, case aside: "dashboard" finds
"Performance dashboards". The evidence for every city is read in two queries.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from convene.accounts.models import Member, Organisation
from convene.convenings.models import Call, CallStatus
from convene.extensions import db
from convene.topics.models import Topic, TopicStatus
from convene.types import utcnow
from convene.visits.models import CityStrength, PracticeArea, StrengthSource
from convene.zones import localize


class StrengthError(ValueError):
    """A change to a city's list that cannot be made; nothing was changed."""


@dataclass(frozen=True)
class Presentation:
    """A city presented on a call (its local day and its title)."""

    day: date
    title: str


@dataclass
class Evidence:
    """Why a city is thought strong in one area."""

    listed: bool = False  # on the city's own list
    calls: list[Presentation] = field(default_factory=list)  # newest first
    topics: list[str] = field(default_factory=list)  # titles of topics offered, newest first

    @property
    def suggested(self) -> bool:
        return bool(self.calls or self.topics)

    @property
    def source(self) -> StrengthSource:
        """What to record as the first source when the area is ticked."""
        if self.calls:
            return StrengthSource.CALL
        return StrengthSource.TOPIC if self.topics else StrengthSource.CHAMPION


def _pattern(terms: Iterable[str]) -> re.Pattern | None:
    terms = [t for t in terms if t]
    if not terms:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + ")", re.IGNORECASE)


def areas_in(text: str, areas: Iterable[PracticeArea]) -> list[PracticeArea]:
    """The areas `text` is about (see the module docstring)."""
    found = []
    for area in areas:
        pattern = _pattern(area.terms)
        if pattern is not None and pattern.search(text or ""):
            found.append(area)
    return found


def all_areas() -> list[PracticeArea]:
    return list(db.session.scalars(sa.select(PracticeArea).order_by(PracticeArea.name)))


def _offering_topics(organisation_ids: Iterable[int] | None):
    """(organisation, topic, call or None) for every topic its proposer offered to share."""
    query = (
        sa.select(Member.organisation_id, Topic, Call)
        .join(Member, Member.id == Topic.proposer_id)
        .outerjoin(Call, Call.id == Topic.call_id)
        .where(
            Topic.will_share_experience.is_(True),
            Topic.status.not_in([TopicStatus.DECLINED, TopicStatus.MERGED]),
        )
        .order_by(Topic.created_at.desc(), Topic.id.desc())
    )
    if organisation_ids is not None:
        query = query.where(Member.organisation_id.in_(list(organisation_ids)))
    return db.session.execute(query).all()


def _has_taken_place(call: Call | None, now: datetime) -> bool:
    if call is None or call.status == CallStatus.CANCELLED:
        return False
    return call.status == CallStatus.HELD or call.starts_at <= now


def evidence(
    areas: list[PracticeArea], organisation_ids: Iterable[int] | None = None
) -> dict[int, dict[int, Evidence]]:
    """Evidence by organisation id, then area id: every listed or suggested area of the given
    organisations (of all of them when None). Two queries, however many cities and topics."""
    ids = None if organisation_ids is None else list(organisation_ids)
    found: dict[int, dict[int, Evidence]] = defaultdict(dict)
    listed = sa.select(CityStrength.organisation_id, CityStrength.practice_area_id)
    if ids is not None:
        listed = listed.where(CityStrength.organisation_id.in_(ids))
    for organisation_id, area_id in db.session.execute(listed):
        found[organisation_id][area_id] = Evidence(listed=True)
    now = utcnow()
    for organisation_id, topic, call in _offering_topics(ids):
        text = f"{topic.title}\n{topic.description or ''}"
        for area in areas_in(text, areas):
            item = found[organisation_id].setdefault(area.id, Evidence())
            if _has_taken_place(call, now):
                day = localize(call.starts_at, call.zone).date()
                item.calls.append(Presentation(day, call.title or topic.title))
            else:
                item.topics.append(topic.title)
    for by_area in found.values():
        for item in by_area.values():
            item.calls.sort(key=lambda p: p.day, reverse=True)
    return dict(found)


def city_evidence(organisation: Organisation) -> dict[int, Evidence]:
    return evidence(all_areas(), [organisation.id]).get(organisation.id, {})


def set_strengths(
    organisation: Organisation, area_ids: Iterable[int], actor: Member | None
) -> tuple[list[PracticeArea], list[PracticeArea]]:
    """Make the city's list exactly `area_ids`; returns the areas (added, removed).

    Areas kept keep their first source; added ones record what suggested them (a call, a
    topic) or the champion. An unknown area id changes nothing and raises StrengthError.
    """
    if not organisation.is_city:
        raise StrengthError("Only cities list the areas they can share.")
    wanted = set(area_ids)
    areas = {a.id: a for a in all_areas()}
    unknown = wanted - set(areas)
    if unknown:
        raise StrengthError("One of the areas no longer exists; reload the page and try again.")
    current = {
        s.practice_area_id: s
        for s in db.session.scalars(
            sa.select(CityStrength).where(CityStrength.organisation_id == organisation.id)
        )
    }
    known = city_evidence(organisation)
    added, removed = [], []
    for area_id in sorted(wanted - set(current), key=lambda i: areas[i].name):
        source = known.get(area_id, Evidence()).source
        db.session.add(
            CityStrength(
                organisation_id=organisation.id,
                practice_area_id=area_id,
                source=source,
                confirmed_by=actor,
            )
        )
        added.append(areas[area_id])
    for area_id in sorted(set(current) - wanted, key=lambda i: areas[i].name):
        db.session.delete(current[area_id])
        removed.append(areas[area_id])
    db.session.flush()
    return added, removed


def prefill_strengths(organisation_ids: Iterable[int] | None = None) -> int:
    """Store every suggested area as a strength of its city (the demo's start; a city's list
    is its champion's after that). Returns how many were added."""
    areas = all_areas()
    cities = {
        o.id
        for o in db.session.scalars(sa.select(Organisation))
        if o.is_city and (organisation_ids is None or o.id in set(organisation_ids))
    }
    added = 0
    for organisation_id, by_area in evidence(areas, cities).items():
        if organisation_id not in cities:
            continue
        for area_id, item in by_area.items():
            if item.listed or not item.suggested:
                continue
            db.session.add(
                CityStrength(
                    organisation_id=organisation_id, practice_area_id=area_id, source=item.source
                )
            )
            added += 1
    db.session.flush()
    return added


def describe_evidence(item: Evidence, area_name: str, this_year: int) -> str | None:
    """ "presented on Open data on the 12 March call", else "offered to share on Open data
    (“Open data policy”)", else None."""
    if item.calls:
        latest = item.calls[0]
        day = f"{latest.day:%-d %B}" if latest.day.year == this_year else f"{latest.day:%-d %B %Y}"
        more = len(item.calls) - 1
        also = f" (and {more} more call{'s' if more != 1 else ''})" if more else ""
        return f"presented on {area_name} on the {day} call{also}"
    if item.topics:
        return f"offered to share on {area_name} (“{item.topics[0]}”)"
    return None


def listed_areas(organisation_ids: Iterable[int]) -> Mapping[int, list[PracticeArea]]:
    """Each organisation's listed areas, by name: one query."""
    rows = db.session.execute(
        sa.select(CityStrength.organisation_id, PracticeArea)
        .join(PracticeArea, PracticeArea.id == CityStrength.practice_area_id)
        .where(CityStrength.organisation_id.in_(list(organisation_ids)))
        .order_by(PracticeArea.name)
    )
    found: dict[int, list[PracticeArea]] = defaultdict(list)
    for organisation_id, area in rows:
        found[organisation_id].append(area)
    return found
