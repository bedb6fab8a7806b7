"""The rubric: the criteria reviewers score, each 1 to 5, and the weights admins give them.

The defaults are the committee's own words (prior use of data, leadership buy-in, a senior
champion, resources committed, need for help not available elsewhere), made the first time
the rubric is read; after that admins change them, and a criterion set aside (inactive)
keeps the scores already given but no longer counts.
"""

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from convene.applications.models import SCORE_MAX, SCORE_MIN, Criterion
from convene.extensions import db

DEFAULT_CRITERIA = (
    (
        "Prior use of data",
        "What the city has already done with data: open data, performance management, "
        "analytics that changed a decision.",
    ),
    (
        "Leadership buy-in",
        "The mayor's letter and the leadership's commitment to using data and evidence.",
    ),
    (
        "Seniority of the champion",
        "How senior the proposed champion is, and how close to the mayor's office.",
    ),
    (
        "Resources committed",
        "Staff time, budget and tools the city commits to the work.",
    ),
    (
        "Need for help not available elsewhere",
        "How much the city needs what the network offers, and cannot get it otherwise.",
    ),
)

WEIGHT_MAX = 100.0


class CriterionError(ValueError):
    """A rubric change that cannot be made; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def ensure_criteria() -> bool:
    """Make the default criteria when there are none at all (a second request doing the
    same at once finds them made). True when it made them: the caller commits."""
    if db.session.scalar(sa.select(Criterion.id).limit(1)) is not None:
        return False
    try:
        with db.session.begin_nested():
            for position, (name, guidance) in enumerate(DEFAULT_CRITERIA):
                db.session.add(
                    Criterion(name=name, guidance=guidance, weight=1.0, position=position)
                )
    except IntegrityError:
        return False
    return True


def all_criteria() -> list[Criterion]:
    ensure_criteria()
    return list(
        db.session.scalars(
            sa.select(Criterion).order_by(Criterion.active.desc(), Criterion.position, Criterion.id)
        )
    )


def active_criteria() -> list[Criterion]:
    return [c for c in all_criteria() if c.active]


def weighted_score(scores: Mapping[int, int], criteria: Iterable[Criterion]) -> float | None:
    """sum(weight * score) / sum(weight) over the active criteria scored; None if none is."""
    total = weights = 0.0
    for criterion in criteria:
        score = scores.get(criterion.id)
        if not criterion.active or score is None:
            continue
        total += criterion.weight * score
        weights += criterion.weight
    return round(total / weights, 2) if weights else None


def _check(name: str | None, weight) -> tuple[str, float]:
    name = (name or "").strip()
    if not name:
        raise CriterionError("Give the criterion a name.", "name")
    try:
        weight = float(weight)
    except (TypeError, ValueError):
        raise CriterionError("Give a weight above 0, such as 1 or 1.5.", "weight") from None
    if not 0 < weight <= WEIGHT_MAX:
        raise CriterionError(f"Give a weight above 0 and at most {WEIGHT_MAX:g}.", "weight")
    return name, weight


def _name_taken(name: str, criterion_id: int | None) -> bool:
    query = sa.select(Criterion.id).where(sa.func.lower(Criterion.name) == name.lower())
    if criterion_id is not None:
        query = query.where(Criterion.id != criterion_id)
    return db.session.scalar(query) is not None


def add_criterion(name: str, guidance: str | None, weight) -> Criterion:
    name, weight = _check(name, weight)
    if _name_taken(name, None):
        raise CriterionError(f"There is already a criterion named {name}.", "name")
    position = db.session.scalar(sa.select(sa.func.max(Criterion.position))) or 0
    criterion = Criterion(
        name=name, guidance=guidance or None, weight=weight, position=position + 1
    )
    db.session.add(criterion)
    db.session.flush()
    return criterion


def update_criterion(
    criterion: Criterion, name: str, guidance: str | None, weight, active: bool
) -> Criterion:
    name, weight = _check(name, weight)
    if _name_taken(name, criterion.id):
        raise CriterionError(f"There is already a criterion named {name}.", "name")
    if not active and criterion.active and len(active_criteria()) <= 1:
        raise CriterionError("Keep at least one criterion in use.", "active")
    criterion.name, criterion.guidance, criterion.weight = name, guidance or None, weight
    criterion.active = active
    db.session.flush()
    return criterion


def score_choices() -> list[tuple[int, str]]:
    return [(n, str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
