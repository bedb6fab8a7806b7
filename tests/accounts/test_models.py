import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.extensions import db
from convene.zones import ZoneError


def test_email_is_stored_lowercase_and_unique_whatever_its_case(make_member, make_org):
    city = make_org("city")
    member = make_member(organisation=city, email="  Rosa.Rivera@Example.ORG ")
    assert member.email == "rosa.rivera@example.org"
    db.session.add(
        Member(email="ROSA.RIVERA@example.org", name="Twin", organisation=city, role=Role.MEMBER)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.query(Member).filter_by(organisation=city).count() == 1


def test_database_refuses_an_uppercase_email_written_around_the_model(make_org):
    city = make_org("city")
    with pytest.raises(IntegrityError):
        db.session.execute(
            text(
                "INSERT INTO members (email, name, organisation_id, role, active, created_at) "
                "VALUES ('Upper@example.org', 'U', :org, 'member', :yes, CURRENT_TIMESTAMP)"
            ),
            {"org": city.id, "yes": True},
        )
        db.session.commit()
    db.session.rollback()


def test_one_active_champion_per_city_is_enforced_by_the_database(make_member, make_org):
    city = make_org("city")
    make_member("champion", organisation=city)
    db.session.add(
        Member(email="second@x.org", name="Second", organisation=city, role=Role.CHAMPION)
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_deactivated_champion_does_not_count(make_member, make_org):
    city = make_org("city")
    former = make_member("champion", organisation=city)
    former.active = False
    db.session.commit()
    successor = make_member("champion", organisation=city)
    assert {former.active, successor.active} == {False, True}
    # ...but the former champion cannot come back while the successor is active.
    former.active = True
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_two_cities_each_have_their_champion(make_member, make_org):
    make_member("champion", organisation=make_org("city"))
    make_member("champion", organisation=make_org("city"))
    assert db.session.query(Member).filter_by(role=Role.CHAMPION).count() == 2


def test_a_city_needs_state_and_population_in_the_database(app):
    db.session.add(
        Organisation(kind=OrganisationKind.CITY, name="Nowhere", slug="nowhere", zone="UTC")
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_partner_needs_no_state(app):
    db.session.add(
        Organisation(kind=OrganisationKind.PARTNER, name="P", slug="p", zone="America/Chicago")
    )
    db.session.commit()
    assert db.session.query(Organisation).count() == 1


def test_organisation_name_and_slug_are_unique(make_org):
    make_org("partner", name="Same", slug="same")
    db.session.add(
        Organisation(kind=OrganisationKind.PARTNER, name="Same", slug="other", zone="UTC")
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_kind_and_role_are_checked_strings_in_the_database(make_org):
    city = make_org("city")
    with pytest.raises(IntegrityError):
        db.session.execute(
            text(
                "INSERT INTO members (email, name, organisation_id, role, active, created_at) "
                "VALUES ('x@example.org', 'X', :org, 'emperor', :yes, CURRENT_TIMESTAMP)"
            ),
            {"org": city.id, "yes": True},
        )
        db.session.commit()
    db.session.rollback()


def test_zones_are_validated_with_zoneinfo(make_org, make_member):
    with pytest.raises(ZoneError):
        Organisation(kind=OrganisationKind.PARTNER, name="P", slug="p", zone="Mars/Olympus")
    member = make_member()
    with pytest.raises(ZoneError):
        member.zone = "Not/AZone"
    member.zone = ""
    assert member.zone is None


def test_roles(make_member):
    admin, host, champion, member = (
        make_member(r) for r in ("admin", "host", "champion", "member")
    )
    assert admin.has_role("host") and admin.has_role("champion") and admin.is_admin
    assert host.has_role("member") and host.has_role("host") and not host.has_role("champion")
    assert champion.has_role("champion") and not champion.has_role("admin")
    assert member.has_role("member") and not member.has_role("host")
