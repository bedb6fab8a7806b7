"""Factories for series and calls."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import g

from convene.convenings import rotation
from convene.convenings.models import Call, CallStatus, Series, SeriesHost, SeriesSkip
from convene.extensions import db


@pytest.fixture
def make_app(make_app):
    """Two adjustments for tests that sign in as several people and read the real SMTP.

    Flask-Mail suppresses sending whenever TESTING is on. And the `app` fixture keeps one app
    context for the whole test, so `g` (where Flask-Login caches the signed-in member) would
    outlive a request: each request must load its own member.
    """

    def factory(**overrides):
        app = make_app(**({"MAIL_SUPPRESS_SEND": False} | overrides))

        @app.before_request
        def forget_previous_member():
            g.pop("_login_user", None)

        return app

    return factory


@pytest.fixture
def make_series(app, make_org):
    counter = iter(range(1, 10_000))

    def factory(partners=None, skips=(), **fields) -> Series:
        n = next(counter)
        partners = partners or [make_org("partner") for _ in range(3)]
        defaults = {
            "name": f"Series {n}",
            "first_date": date(2026, 10, 1),
            "local_time": time(13, 0),
            "zone": "America/New_York",
            "interval_weeks": 2,
            "duration_minutes": 60,
            "horizon_weeks": 26,
            "video_url": "https://meet.example.org/network",
            "dial_in_number": "+1 646 555 0100",
            "dial_in_code": "123 456",
        }
        series = Series(**(defaults | fields))
        series.rotation = [SeriesHost(position=i, organisation=p) for i, p in enumerate(partners)]
        series.skips = [SeriesSkip(day=d) for d in skips]
        db.session.add(series)
        db.session.commit()
        return series

    return factory


@pytest.fixture
def make_call(app, make_series):
    """A single call starting at `starts_at` (default: in two days), its series made if needed."""

    def factory(series=None, starts_at=None, **fields) -> Call:
        series = series or make_series()
        starts_at = starts_at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
        defaults = {
            "series": series,
            "slot_date": starts_at.date(),
            "starts_at": starts_at,
            "duration_minutes": 60,
            "zone": series.zone,
            "host_organisation_id": series.rotation[0].organisation_id,
            "status": CallStatus.SCHEDULED,
        }
        call = Call(**(defaults | fields))
        db.session.add(call)
        db.session.commit()
        return call

    return factory


@pytest.fixture
def upcoming_series(make_series):
    """A series whose calls start next week, materialised up to its horizon."""

    def factory(**fields) -> Series:
        first = date.today() + timedelta(days=7)
        series = make_series(first_date=first, **fields)
        rotation.materialise(series, rotation.horizon(series))
        db.session.commit()
        return series

    return factory


def calls_of(series: Series) -> list[Call]:
    return list(
        db.session.scalars(
            db.select(Call).where(Call.series_id == series.id).order_by(Call.slot_date)
        )
    )
