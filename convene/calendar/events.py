"""The one shape every capability hands to the calendar: a plain, hashable event."""

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class FeedEvent:
    """One VEVENT, as plain data. Equal events serialise to equal bytes, so a FeedEvent is
    its own cache key.

    A timed event has `starts_at`/`ends_at` (aware UTC) and the `zone` it happens in; an
    all-day event has `start_date` and `end_date` (the last day, inclusive) instead.
    `sequence` must go up whenever the time, host, title or status changes.
    """

    uid: str
    sequence: int
    summary: str
    last_modified: datetime
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    zone: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    is_cancelled: bool = False
    description: str = ""
    location: str = ""
    url: str | None = None
    conference_url: str | None = None
    alarm_minutes: int | None = None
    categories: tuple[str, ...] = field(default=())

    def __post_init__(self):
        timed = self.starts_at is not None and self.ends_at is not None
        all_day = self.start_date is not None and self.end_date is not None
        if timed == all_day:
            raise ValueError("a FeedEvent is either timed (starts_at, ends_at) or all-day")
        if timed and (self.starts_at.tzinfo is None or self.ends_at.tzinfo is None):
            raise ValueError("starts_at and ends_at must be aware instants")
        if timed and self.ends_at <= self.starts_at:
            raise ValueError("an event must end after it starts")
        if all_day and self.end_date < self.start_date:
            raise ValueError("an all-day event must end on or after its first day")

    @property
    def is_all_day(self) -> bool:
        return self.start_date is not None

    @property
    def title(self) -> str:
        return f"Cancelled: {self.summary}" if self.is_cancelled else self.summary
