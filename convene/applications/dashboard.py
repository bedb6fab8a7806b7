"""The selection dashboard: where applications stand, how long a decision takes, and whether
selection reaches the places that would otherwise go without help.

Accepted cities are counted by state, by the four US Census regions and by population band,
each beside the applicants from there, so the committee sees selection against who applied
(a region that sends many applications and gets few places shows at once). Everything comes
from one query whatever the number of applications; the sums are made here.
"""

import math
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from convene.applications.models import (
    STATUS_LABELS,
    Application,
    ApplicationStatus,
    Decision,
    Outcome,
)
from convene.extensions import db

# The US Census Bureau's four regions (DC counts with the South, as the Bureau counts it).
REGIONS = {
    "Northeast": "CT ME MA NH RI VT NJ NY PA",
    "Midwest": "IL IN MI OH WI IA KS MN MO NE ND SD",
    "South": "DE DC FL GA MD NC SC VA WV AL KY MS TN AR LA OK TX",
    "West": "AZ CO ID MT NV NM UT WY AK CA HI OR WA",
}
REGION_OF = {state: region for region, states in REGIONS.items() for state in states.split()}
OTHER = "Elsewhere"

# (label, lowest population, highest population)
BANDS = (
    ("Under 100,000", 0, 99_999),
    ("100,000 to 199,999", 100_000, 199_999),
    ("200,000 to 499,999", 200_000, 499_999),
    ("500,000 to 1 million", 500_000, 1_000_000),
    ("Over 1 million", 1_000_001, None),
)
UNKNOWN_BAND = "Not given"

DAY_SECONDS = 86_400


def band_of(population: int | None) -> str:
    if population is None:
        return UNKNOWN_BAND
    for label, low, high in BANDS:
        if population >= low and (high is None or population <= high):
            return label
    return UNKNOWN_BAND


def percentile(values: list[float], share: float) -> float | None:
    """The median (the mean of the two middle values for an even count), else the
    nearest-rank percentile: a value some application really took."""
    if not values:
        return None
    ordered = sorted(values)
    if share == 0.5:
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Share:
    """Applicants and accepted cities from one place or band."""

    label: str
    applied: int = 0
    accepted: int = 0
    applied_share: float = 0.0  # of all applicants
    accepted_share: float = 0.0  # of all accepted

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.applied if self.applied else None


@dataclass
class SelectionDashboard:
    pipeline: list[tuple[str, int]]  # (label, count) in the pipeline's order
    outcomes: dict[str, int]  # decided applications by their last letter
    pending_decisions: int
    decided: int
    median_days: float | None
    p90_days: float | None
    by_region: list[Share] = field(default_factory=list)
    by_band: list[Share] = field(default_factory=list)
    by_state: list[Share] = field(default_factory=list)
    applied: int = 0
    accepted: int = 0


def _shares(applied: Counter, accepted: Counter, order: list[str]) -> list[Share]:
    total_applied, total_accepted = sum(applied.values()), sum(accepted.values())
    rows = []
    for label in order:
        if not applied[label] and not accepted[label]:
            continue
        rows.append(
            Share(
                label=label,
                applied=applied[label],
                accepted=accepted[label],
                applied_share=applied[label] / total_applied if total_applied else 0.0,
                accepted_share=accepted[label] / total_accepted if total_accepted else 0.0,
            )
        )
    return rows


def selection_dashboard() -> SelectionDashboard:
    rows = db.session.execute(
        sa.select(
            Application.status,
            Application.state,
            Application.population,
            Application.submitted_at,
            Application.decided_at,
            Decision.outcome,
            Decision.letter_id,
        ).outerjoin(Decision, Decision.application_id == Application.id)
    ).all()
    statuses: Counter = Counter()
    outcomes: Counter = Counter()
    applied_region, accepted_region = Counter(), Counter()
    applied_band, accepted_band = Counter(), Counter()
    applied_state, accepted_state = Counter(), Counter()
    days, pending = [], 0
    for status, state, population, submitted_at, decided_at, outcome, letter_id in rows:
        statuses[status] += 1
        if outcome is not None and letter_id is None:
            pending += 1
        if status == ApplicationStatus.DRAFT:
            continue  # not an applicant yet
        region = REGION_OF.get(state, OTHER)
        band = band_of(population)
        applied_region[region] += 1
        applied_band[band] += 1
        applied_state[state] += 1
        if status != ApplicationStatus.DECIDED:
            continue
        # The letter that went last: the decision's, or a hold if a new one is pending.
        sent = outcome if letter_id is not None else Outcome.HOLD
        outcomes[sent] += 1
        if submitted_at is not None and decided_at is not None:
            days.append((decided_at - submitted_at).total_seconds() / DAY_SECONDS)
        if sent == Outcome.ACCEPT:
            accepted_region[region] += 1
            accepted_band[band] += 1
            accepted_state[state] += 1
    order = [ApplicationStatus.DRAFT, *[s for s in ApplicationStatus if s != "draft"]]
    states = sorted(applied_state, key=lambda s: (-accepted_state[s], -applied_state[s], s))
    return SelectionDashboard(
        pipeline=[(STATUS_LABELS[s], statuses[s]) for s in order],
        outcomes={
            "Accepted": outcomes[Outcome.ACCEPT],
            "Declined": outcomes[Outcome.DECLINE],
            "On hold": outcomes[Outcome.HOLD],
        },
        pending_decisions=pending,
        decided=sum(outcomes.values()),
        median_days=percentile(days, 0.5),
        p90_days=percentile(days, 0.9),
        by_region=_shares(applied_region, accepted_region, [*REGIONS, OTHER]),
        by_band=_shares(
            applied_band, accepted_band, [label for label, _l, _h in BANDS] + [UNKNOWN_BAND]
        ),
        by_state=_shares(applied_state, accepted_state, states),
        applied=sum(applied_region.values()),
        accepted=sum(accepted_region.values()),
    )
