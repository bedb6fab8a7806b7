"""The programme's short list of practice areas: adding, renaming and removing one.

A name is unique whatever its case; the slug (in links) is made once from the name and
kept through renames, so links and bookmarks keep working. An area a city lists or a visit
is about cannot be removed (the database refuses it too).
"""

import re
import unicodedata

import sqlalchemy as sa

from convene.extensions import db
from convene.visits.models import CityStrength, PracticeArea, Visit


class AreaError(ValueError):
    """An area change that cannot be made; nothing was changed."""


def slugify(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:70] or "area"


def _keywords(text: str | None) -> str | None:
    words = [w.strip() for w in (text or "").split(",") if w.strip()]
    unique = list(dict.fromkeys(words))
    return ", ".join(unique) or None


def _check_name(name: str, area: PracticeArea | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise AreaError("Give the area a name.")
    query = sa.select(PracticeArea.id).where(sa.func.lower(PracticeArea.name) == name.lower())
    if area is not None:
        query = query.where(PracticeArea.id != area.id)
    if db.session.scalar(query) is not None:
        raise AreaError(f"There is already an area called “{name}”.")
    return name


def _free_slug(name: str) -> str:
    base = slugify(name)
    taken = set(
        db.session.scalars(sa.select(PracticeArea.slug).where(PracticeArea.slug.like(f"{base}%")))
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def add_area(name: str, keywords: str | None = None) -> PracticeArea:
    name = _check_name(name)
    area = PracticeArea(name=name, slug=_free_slug(name), keywords=_keywords(keywords))
    db.session.add(area)
    db.session.flush()
    return area


def rename_area(area: PracticeArea, name: str, keywords: str | None = None) -> PracticeArea:
    area.name = _check_name(name, area)
    area.keywords = _keywords(keywords)
    db.session.flush()
    return area


def uses(area: PracticeArea) -> tuple[int, int]:
    """(cities listing it, visits about it)."""
    cities = db.session.scalar(
        sa.select(sa.func.count(CityStrength.id)).where(CityStrength.practice_area_id == area.id)
    )
    visits = db.session.scalar(
        sa.select(sa.func.count(Visit.id)).where(Visit.practice_area_id == area.id)
    )
    return cities or 0, visits or 0


def use_counts() -> dict[int, tuple[int, int]]:
    """(cities listing it, visits about it) for every area, by id: two queries."""
    cities: dict[int, int] = dict(
        db.session.execute(
            sa.select(CityStrength.practice_area_id, sa.func.count(CityStrength.id)).group_by(
                CityStrength.practice_area_id
            )
        ).all()
    )
    visits: dict[int, int] = dict(
        db.session.execute(
            sa.select(Visit.practice_area_id, sa.func.count(Visit.id)).group_by(
                Visit.practice_area_id
            )
        ).all()
    )
    return {i: (cities.get(i, 0), visits.get(i, 0)) for i in set(cities) | set(visits)}


def in_use_message(name: str, cities: int, visits: int) -> str:
    parts = []
    if cities:
        parts.append(f"{cities} {'city lists' if cities == 1 else 'cities list'} it")
    if visits:
        parts.append(f"{visits} {'visit is' if visits == 1 else 'visits are'} about it")
    return f"“{name}” cannot be removed: {' and '.join(parts)}. Rename it instead."


def remove_area(area: PracticeArea) -> None:
    cities, visits = uses(area)
    if cities or visits:
        raise AreaError(in_use_message(area.name, cities, visits))
    db.session.delete(area)
    db.session.flush()
