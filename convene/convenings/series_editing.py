"""Creating and editing a series, then bringing its calls in line."""

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select

from convene.accounts.models import Organisation, OrganisationKind
from convene.convenings import rotation
from convene.convenings.errors import CallError
from convene.convenings.models import Series, SeriesHost, SeriesSkip
from convene.extensions import db
from convene.forms import EARLIEST_DATE, LATEST_DATE
from convene.types import utcnow


@dataclass
class SeriesDetails:
    name: str
    first_date: date
    weekday: int
    local_time: time
    zone: str
    interval_weeks: int
    duration_minutes: int
    horizon_weeks: int
    video_url: str | None
    dial_in_number: str | None
    dial_in_code: str | None
    description: str | None
    rotation_ids: list[int]
    skips: list[tuple[date, str | None]]


def parse_skips(text: str | None) -> list[tuple[date, str | None]]:
    """Lines of "YYYY-MM-DD reason"; a clear message names the first bad line."""
    skips: dict[date, str | None] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day_text, _, reason = line.partition(" ")
        try:
            day = date.fromisoformat(day_text)
        except ValueError as exc:
            raise CallError(
                f"Line {number} of the skipped dates does not start with a date written YYYY-MM-DD."
            ) from exc
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise CallError(f"Line {number} of the skipped dates is not a date this century.")
        skips[day] = reason.strip()[:200] or None
    return sorted(skips.items())


def format_skips(series: Series) -> str:
    return "\n".join(f"{s.day.isoformat()} {s.reason or ''}".strip() for s in series.skips)


def save_series(series: Series | None, details: SeriesDetails) -> tuple[Series, object]:
    """Create or update the series, then create or regenerate its calls.

    Returns the series and what happened to its calls (Materialised or Regenerated).
    """
    partners = {
        o.id
        for o in db.session.scalars(
            select(Organisation).where(
                Organisation.id.in_(details.rotation_ids),
                Organisation.kind == OrganisationKind.PARTNER,
            )
        )
    }
    if not details.rotation_ids or set(details.rotation_ids) - partners:
        raise CallError("The rotation takes partner organisations only, at least one.")
    is_new = series is None
    if is_new:
        series = Series()
        db.session.add(series)
    series.name = details.name.strip()
    series.first_date = rotation.first_on_weekday(details.first_date, details.weekday)
    series.local_time = details.local_time.replace(second=0, microsecond=0)
    series.zone = details.zone
    series.interval_weeks = details.interval_weeks
    series.duration_minutes = details.duration_minutes
    series.horizon_weeks = details.horizon_weeks
    series.video_url = details.video_url or None
    series.dial_in_number = details.dial_in_number or None
    series.dial_in_code = details.dial_in_code or None
    series.description = details.description or None
    series.updated_at = utcnow()
    # Replace the rotation and skips (flush between, so positions and days can repeat).
    series.rotation.clear()
    series.skips.clear()
    db.session.flush()
    for position, organisation_id in enumerate(details.rotation_ids):
        series.rotation.append(SeriesHost(position=position, organisation_id=organisation_id))
    for day, reason in details.skips:
        series.skips.append(SeriesSkip(day=day, reason=reason))
    db.session.flush()
    if is_new:
        today = utcnow().date()
        return series, rotation.materialise(series, rotation.horizon(series, today), since=today)
    return series, rotation.regenerate_after_edit(series)
