"""The demo network's visits foundation: places, areas and strengths rich from the start."""

from collections import Counter

import sqlalchemy as sa

from convene.accounts.models import Member, Organisation, OrganisationKind
from convene.applications.models import Application
from convene.extensions import db
from convene.visits.matching import haversine_km
from convene.visits.models import CityStrength, PracticeArea, StrengthSource
from tests.conftest import load_demo_network


def test_every_demo_city_is_placed_and_areas_are_shared_by_several_cities(app, client_for):
    load_demo_network()
    cities = db.session.scalars(
        sa.select(Organisation).where(Organisation.kind == OrganisationKind.CITY)
    ).all()
    assert cities and all(c.latitude is not None and c.longitude is not None for c in cities)
    by_slug = {c.slug: c for c in cities}
    boston, louisville = by_slug["boston-ma"], by_slug["louisville-ky"]
    km = haversine_km(
        (boston.latitude, boston.longitude), (louisville.latitude, louisville.longitude)
    )
    assert 1300 < km < 1360
    assert any(c.visits_hosted_cap for c in cities)

    areas = db.session.scalars(sa.select(PracticeArea)).all()
    assert {"Open data", "Performance management", "311 data"} <= {a.name for a in areas}
    strengths = db.session.scalars(sa.select(CityStrength)).all()
    per_area = Counter(s.practice_area_id for s in strengths)
    assert all(per_area[a.id] >= 2 for a in areas)
    # Every founding city says what it can share (cities accepted from applications just joined).
    joined = set(db.session.scalars(sa.select(Application.organisation_id)))
    founding = [c for c in cities if c.id not in joined]
    assert len(founding) < len(cities)
    assert all(any(s.organisation_id == c.id for s in strengths) for c in founding)
    # Some come from the network's record (topics offered, calls presented on), some by hand.
    sources = {s.source for s in strengths}
    assert StrengthSource.CHAMPION in sources and sources & {
        StrengthSource.TOPIC,
        StrengthSource.CALL,
    }

    champion = db.session.scalar(
        sa.select(Member).where(Member.email == "champion@demo.convene.test")
    )
    page = client_for(champion).get("/visits/learn?area=open-data")
    assert page.status_code == 200 and " km; " in page.text
