"""Factories for series and calls."""

from datetime import date, timedelta

import pytest

from convene.convenings import rotation
from convene.convenings.models import Call, Series
from convene.extensions import db


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
