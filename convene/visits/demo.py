"""The demo's visits foundation: where each city is, the practice areas, what cities can share.

Runs after the topics' demo. A city whose person proposed a held call's topic is taken to
have presented on it (the offer to share is ticked), so the areas the topics and held calls
suggest are on each city's list (as a champion would have kept them), plus a few each
champion added by hand.
It draws from its own random source, so the loaders after it draw as they did before.
"""

import random

import sqlalchemy as sa

from convene.accounts.models import Member, Organisation, OrganisationKind
from convene.extensions import db
from convene.topics.models import Topic, TopicStatus
from convene.visits.areas import add_area
from convene.visits.models import CityStrength, StrengthSource
from convene.visits.strengths import prefill_strengths

# City centres, (latitude, longitude), by the demo's city slug.
COORDINATES = {
    "anchorage-ak": (61.2181, -149.9003),
    "honolulu-hi": (21.3069, -157.8583),
    "mesa-az": (33.4152, -111.8315),
    "scottsdale-az": (33.4942, -111.9261),
    "tempe-az": (33.4255, -111.9400),
    "boston-ma": (42.3601, -71.0589),
    "cambridge-ma": (42.3736, -71.1097),
    "chattanooga-tn": (35.0456, -85.3097),
    "knoxville-tn": (35.9606, -83.9207),
    "nashville-tn": (36.1627, -86.7816),
    "kansas-city-mo": (39.0997, -94.5786),
    "independence-mo": (39.0911, -94.4155),
    "louisville-ky": (38.2527, -85.7585),
    "lexington-ky": (38.0406, -84.5037),
    "new-orleans-la": (29.9511, -90.0715),
    "baton-rouge-la": (30.4515, -91.1871),
    "jackson-ms": (32.2988, -90.1848),
    "seattle-wa": (47.6062, -122.3321),
    "tacoma-wa": (47.2529, -122.4443),
    "tulsa-ok": (36.1540, -95.9928),
    "las-vegas-nv": (36.1699, -115.1398),
    "denver-co": (39.7392, -104.9903),
    "albuquerque-nm": (35.0844, -106.6504),
    "boise-id": (43.6150, -116.2023),
    "lincoln-ne": (40.8136, -96.7026),
    "providence-ri": (41.8240, -71.4128),
    "syracuse-ny": (43.0481, -76.1474),
}

# (name, other words that name it in topics and calls)
AREAS = [
    ("Open data", "data portal, open-data, transparency"),
    ("Performance management", "performance, dashboard, stat, KPI"),
    ("Programme evaluation", "evaluation, evaluating, pilot, randomised, randomized"),
    ("Results-driven contracting", "contracting, procurement, vendor"),
    ("311 data", "311, service requests"),
    ("Data governance", "governance, data sharing, data inventory"),
    ("Behavioural insights", "behavioural, behavioral, nudge"),
    ("Budgeting for outcomes", "budgeting, outcome budget"),
    ("Communicating with data", "communicating, communications, storytelling"),
]

# Cities that host at most so many visits a year (the rest: no limit).
CAPS = {"boston-ma": 3, "louisville-ky": 2, "kansas-city-mo": 2, "seattle-wa": 4}


def load(rng: random.Random) -> None:
    del rng  # its own source instead (module docstring)
    local = random.Random(2016)
    cities = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.kind == OrganisationKind.CITY)
        .order_by(Organisation.id)
    ).all()
    for city in cities:
        city.latitude, city.longitude = COORDINATES.get(city.slug, (None, None))
        city.visits_hosted_cap = CAPS.get(city.slug)
    areas = [add_area(name, keywords) for name, keywords in AREAS]
    # A city whose person proposed a held call's topic presented its experience on the call.
    held = db.session.scalars(
        sa.select(Topic)
        .join(Member, Member.id == Topic.proposer_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Topic.status == TopicStatus.HELD, Organisation.kind == OrganisationKind.CITY)
    ).all()
    for topic in held:
        topic.will_share_experience = True
    db.session.flush()
    prefill_strengths()
    listed = set(
        db.session.execute(
            sa.select(CityStrength.organisation_id, CityStrength.practice_area_id)
        ).all()
    )
    # Each city's champion adds one to three areas of their own.
    for city in cities:
        for area in local.sample(areas, local.randint(1, 3)):
            if (city.id, area.id) not in listed:
                listed.add((city.id, area.id))
                db.session.add(
                    CityStrength(
                        organisation_id=city.id,
                        practice_area_id=area.id,
                        source=StrengthSource.CHAMPION,
                    )
                )
    db.session.flush()
