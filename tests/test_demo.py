from collections import Counter

import pytest
from sqlalchemy import func, select

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.accounts.passwords import verify_password
from convene.applications.models import Application
from convene.config import load_config
from convene.demo import DEMO_ENVIRONMENTS, DEMO_PASSWORD, DemoRefused, load_demo
from convene.extensions import db
from tests.conftest import load_demo_network

LOWER_48_ZONES = {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"}


def load(app):
    return app.test_cli_runner().invoke(args=["demo", "load"])


def test_demo_loads_once(app):
    first = load(app)
    assert first.exit_code == 0 and "Demo network loaded" in first.output
    counts = db.session.scalar(select(func.count(Member.id)))
    second = load(app)
    assert second.exit_code == 0 and "already holds data" in second.output
    assert db.session.scalar(select(func.count(Member.id))) == counts


def test_demo_network_facts(app):
    load_demo_network()
    accepted = set(
        db.session.scalars(
            select(Application.organisation_id).where(Application.organisation_id.is_not(None))
        )
    )
    everyone = db.session.scalars(select(Organisation)).all()
    # The cities accepted from applications joined later, with their champion invited.
    assert len(accepted) == 6
    for city in (o for o in everyone if o.id in accepted):
        assert city.is_city and [m.role for m in city.members] == [Role.CHAMPION], city.name
    orgs = [o for o in everyone if o.id not in accepted]
    kinds = Counter(o.kind for o in orgs)
    assert kinds == {
        OrganisationKind.CITY: 27,
        OrganisationKind.PARTNER: 5,
        OrganisationKind.PROGRAMME: 1,
    }
    cities = [o for o in orgs if o.is_city]
    assert len({c.state for c in cities}) == 18
    assert all(100_000 <= c.population <= 1_000_000 for c in cities)
    zones = {c.zone for c in cities}
    assert "America/Phoenix" in zones
    assert zones - LOWER_48_ZONES - {"America/Phoenix"} & {"America/Anchorage", "Pacific/Honolulu"}
    partners = {o.slug for o in orgs if o.is_partner}
    assert partners == {"govex", "gpl", "sunlight", "bit", "rfa"}
    for city in cities:
        active = [m for m in city.members if m.active]
        roles = Counter(m.role for m in active)
        assert roles[Role.CHAMPION] == 1, city.name
        assert 2 <= roles[Role.MEMBER] <= 3, city.name
        assert set(roles) == {Role.CHAMPION, Role.MEMBER}
    for partner in (o for o in orgs if o.is_partner):
        assert any(m.role == Role.HOST for m in partner.members), partner.slug
    programme = next(o for o in orgs if o.kind == OrganisationKind.PROGRAMME)
    assert any(m.is_admin for m in programme.members)


def test_demo_accounts_one_per_role_share_the_password(app):
    load_demo_network()
    for role in ("admin", "host", "champion", "member"):
        member = db.session.scalar(
            select(Member).where(Member.email == f"{role}@demo.convene.test")
        )
        assert member.role == Role(role)
        assert verify_password(member, DEMO_PASSWORD)
    champion = db.session.scalar(select(Member).where(Member.email == "champion@demo.convene.test"))
    assert champion.organisation.zone == "America/Phoenix"


def test_demo_accounts_sign_in(app, client):
    load_demo_network()
    response = client.post(
        "/sign-in", data={"email": "admin@demo.convene.test", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/admin/organisations").status_code == 200


@pytest.mark.parametrize("env", ["production", None])
def test_demo_refuses_a_configuration_other_than_development_or_testing(make_app, env):
    production = make_app(CONVENE_ENV=env)
    with production.app_context():
        result = production.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 1
        assert "development and testing only" in result.output
        assert db.session.scalar(select(func.count(Organisation.id))) == 0


def test_load_demo_refuses_production_too(make_app):
    production = make_app(CONVENE_ENV="production")
    with production.app_context(), pytest.raises(DemoRefused):
        load_demo()


def test_development_is_a_demo_configuration():
    assert load_config("development")["CONVENE_ENV"] in DEMO_ENVIRONMENTS
    assert "production" not in DEMO_ENVIRONMENTS
