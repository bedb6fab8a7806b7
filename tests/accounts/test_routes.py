import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from convene.accounts.models import Member, Organisation, Role
from convene.extensions import db
from convene.notifications.models import OutboxMessage
from tests.conftest import PASSWORD

WRONG = "That email and password do not match an active account."


def sign_in(client, email, password=PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


def outbox_count() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


# --- signing in and out ---------------------------------------------------------------------


def test_sign_in_and_out(make_member, client):
    member = make_member(name="Grace Hill")
    response = sign_in(client, member.email.upper())
    assert response.status_code == 302 and response.location == "/"
    assert b"Grace Hill" in client.get("/").data
    db.session.refresh(member)
    assert member.last_sign_in_at is not None
    assert client.post("/sign-out").status_code == 302
    page = client.get("/").data
    assert b"Grace Hill" not in page and b"Sign in" in page


def test_sign_in_follows_only_local_next(make_member, client):
    member = make_member()
    response = client.post(
        "/sign-in?next=//evil.example/", data={"email": member.email, "password": PASSWORD}
    )
    assert response.location == "/"
    client.post("/sign-out")
    response = client.post(
        "/sign-in?next=/account", data={"email": member.email, "password": PASSWORD}
    )
    assert response.location == "/account"


def _without(page: bytes, email: str) -> bytes:
    return page.replace(email.encode(), b"EMAIL")


def test_wrong_password_and_unknown_email_get_the_same_answer(make_member, client):
    member = make_member()
    wrong = sign_in(client, member.email, "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert WRONG.encode() in wrong.data
    assert _without(wrong.data, member.email) == _without(unknown.data, "nobody@example.org")


def test_a_deactivated_member_cannot_sign_in(make_member, client):
    member = make_member(active=False)
    response = sign_in(client, member.email)
    assert response.status_code == 200 and WRONG.encode() in response.data


def test_an_invited_member_without_password_cannot_sign_in(make_member, client):
    member = make_member(password_hash=None)
    assert WRONG.encode() in sign_in(client, member.email, "anything at all").data


def test_repeated_failed_sign_ins_are_limited(make_app, make_member):
    member = make_member()
    limited = make_app(SIGN_IN_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    for _ in range(3):
        assert sign_in(client, member.email, "guess").status_code == 200
    response = sign_in(client, member.email, PASSWORD)  # even the right password now waits
    assert response.status_code == 429
    assert b"Too many" in response.data and b"skip-link" in response.data
    assert "Retry-After" in response.headers
    # Another address from the same place is not locked out by someone else's failures.
    other = make_member()
    assert sign_in(client, other.email).status_code == 302


def test_successful_sign_ins_do_not_count_towards_the_limit(make_app, make_member):
    member = make_member()
    limited = make_app(SIGN_IN_RATE_LIMIT="2 per minute")
    for _ in range(4):
        assert sign_in(limited.test_client(), member.email).status_code == 302


def test_a_deactivated_member_is_signed_out(make_member, client_for):
    member = make_member()
    client = client_for(member)
    assert client.get("/account").status_code == 200
    member.active = False
    db.session.commit()
    assert client.get("/account").status_code == 302


# --- who may see what -------------------------------------------------------------------


ADMIN_PAGES = ["/admin/organisations", "/admin/organisations/new", "/admin/members"]


@pytest.mark.parametrize("role", ["member", "champion", "host"])
def test_admin_pages_are_forbidden_to_other_roles(role, make_member, client_for):
    actor = make_member(role)
    other = make_member()
    client = client_for(actor)
    pages = [
        *ADMIN_PAGES,
        f"/admin/organisations/{other.organisation.slug}/edit",
        f"/members/{other.id}/edit",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"You can't do that here" in response.data
    response = client.post("/admin/organisations/new", data={"kind": "partner", "name": "X"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).where(Organisation.name == "X")) == 0


def test_admin_pages_send_the_public_to_sign_in(client):
    response = client.get("/admin/members")
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_admin_sees_every_admin_page(make_member, client_for):
    admin = make_member("admin")
    client = client_for(admin)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url


# --- champions manage their own city ---------------------------------------------------


def test_champion_invites_a_member_to_their_city(make_member, client_for):
    champion = make_member("champion")
    city = champion.organisation
    client = client_for(champion)
    assert client.get(f"/organisations/{city.slug}/people").status_code == 200
    response = client.post(
        f"/organisations/{city.slug}/invite",
        data={"name": "Nora Evans", "email": "Nora@Example.org", "role": "member"},
    )
    assert response.status_code == 302
    invited = db.session.scalar(select(Member).where(Member.email == "nora@example.org"))
    assert invited.organisation_id == city.id and invited.role == Role.MEMBER
    assert outbox_count() == 1


def test_champion_can_invite_only_plain_members(make_member, client_for):
    champion = make_member("champion")
    client = client_for(champion)
    for role in ("champion", "admin", "host"):
        response = client.post(
            f"/organisations/{champion.organisation.slug}/invite",
            data={"name": "X", "email": f"{role}@example.org", "role": role},
        )
        assert response.status_code == 200
        assert b"Not a valid choice" in response.data
    assert db.session.scalar(select(func.count(Member.id))) == 1
    assert outbox_count() == 0


def test_champion_cannot_touch_another_city(make_member, client_for):
    champion = make_member("champion")
    elsewhere = make_member()
    client = client_for(champion)
    slug = elsewhere.organisation.slug
    assert client.get(f"/organisations/{slug}/people").status_code == 403
    response = client.post(
        f"/organisations/{slug}/invite", data={"name": "X", "email": "x@example.org"}
    )
    assert response.status_code == 403
    assert client.post(f"/members/{elsewhere.id}/deactivate").status_code == 403
    db.session.refresh(elsewhere)
    assert elsewhere.active and outbox_count() == 0


def test_champion_deactivates_and_reactivates_a_member_of_their_city(make_member, client_for):
    champion = make_member("champion")
    member = make_member(organisation=champion.organisation)
    client = client_for(champion)
    assert client.post(f"/members/{member.id}/deactivate").status_code == 302
    db.session.refresh(member)
    assert not member.active
    assert client.post(f"/members/{member.id}/reactivate").status_code == 302
    db.session.refresh(member)
    assert member.active


def test_champion_cannot_deactivate_themselves_or_edit_members(make_member, client_for):
    champion = make_member("champion")
    member = make_member(organisation=champion.organisation)
    client = client_for(champion)
    assert client.post(f"/members/{champion.id}/deactivate").status_code == 403
    assert client.get(f"/members/{member.id}/edit").status_code == 403
    db.session.refresh(champion)
    assert champion.active


def test_member_cannot_manage_their_own_city(make_member, client_for):
    member = make_member()
    colleague = make_member(organisation=member.organisation)
    client = client_for(member)
    assert client.get(f"/organisations/{member.organisation.slug}/people").status_code == 403
    assert client.post(f"/members/{colleague.id}/deactivate").status_code == 403


def test_champion_sends_an_invitation_again(make_member, client_for):
    champion = make_member("champion")
    invited = make_member(organisation=champion.organisation, password_hash=None)
    joined = make_member(organisation=champion.organisation)
    client = client_for(champion)
    assert client.post(f"/members/{invited.id}/invite-again").status_code == 302
    assert outbox_count() == 1
    page = client.post(f"/members/{joined.id}/invite-again", follow_redirects=True)
    assert b"has already joined" in page.data and outbox_count() == 1


def test_people_page_query_count_does_not_grow_with_people(make_member, client_for, count_queries):
    champion = make_member("champion")
    client = client_for(champion)
    url = f"/organisations/{champion.organisation.slug}/people"
    db.session.expire_all()
    with count_queries() as few:
        client.get(url)
    for _ in range(8):
        make_member(organisation=champion.organisation)
    db.session.expire_all()
    with count_queries() as many:
        page = client.get(url)
    assert page.data.count(b"<tr") == 10
    assert many.count == few.count


# --- admins manage organisations and members ------------------------------------------


CITY = {
    "kind": "city",
    "name": "Tacoma",
    "slug": "tacoma-wa",
    "state": "WA",
    "population": "207948",
    "zone": "America/Los_Angeles",
}


def test_admin_adds_a_city(make_member, client_for):
    client = client_for(make_member("admin"))
    response = client.post("/admin/organisations/new", data=CITY)
    assert response.status_code == 302
    city = db.session.scalar(select(Organisation).where(Organisation.slug == "tacoma-wa"))
    assert (city.state, city.population, city.zone) == ("WA", 207948, "America/Los_Angeles")


def test_a_bad_zone_is_explained_and_nothing_is_saved(make_member, client_for):
    client = client_for(make_member("admin"))
    response = client.post("/admin/organisations/new", data=CITY | {"zone": "America/Tacoma"})
    assert response.status_code == 200
    assert "“America/Tacoma” is not an IANA time zone".encode() in response.data
    assert db.session.scalar(select(func.count()).where(Organisation.slug == "tacoma-wa")) == 0


def test_a_city_needs_state_and_population(make_member, client_for):
    client = client_for(make_member("admin"))
    response = client.post("/admin/organisations/new", data=CITY | {"state": "", "population": ""})
    assert b"A city needs its state." in response.data
    assert b"A city needs its population." in response.data
    assert db.session.scalar(select(func.count()).where(Organisation.slug == "tacoma-wa")) == 0


def test_a_duplicate_name_is_explained(make_member, make_org, client_for):
    make_org("city", name="Tacoma")
    client = client_for(make_member("admin"))
    response = client.post("/admin/organisations/new", data=CITY)
    assert response.status_code == 200
    assert b"Another organisation already has this name" in response.data


def test_a_partner_keeps_no_state_or_population(make_member, client_for):
    client = client_for(make_member("admin"))
    data = CITY | {"kind": "partner", "name": "Partner", "slug": "partner"}
    assert client.post("/admin/organisations/new", data=data).status_code == 302
    partner = db.session.scalar(select(Organisation).where(Organisation.slug == "partner"))
    assert partner.state is None and partner.population is None


def test_a_city_with_a_champion_cannot_become_a_partner(make_member, client_for):
    champion = make_member("champion")
    city = champion.organisation
    client = client_for(make_member("admin"))
    data = {"kind": "partner", "name": city.name, "slug": city.slug, "zone": city.zone}
    response = client.post(f"/admin/organisations/{city.slug}/edit", data=data)
    assert response.status_code == 200 and b"Change the role of" in response.data
    db.session.refresh(city)
    assert city.is_city


def test_admin_cannot_give_a_city_a_second_champion(make_member, client_for):
    champion = make_member("champion")
    member = make_member(organisation=champion.organisation)
    client = client_for(make_member("admin"))
    data = {"name": member.name, "role": "champion", "organisation_id": member.organisation_id}
    response = client.post(f"/members/{member.id}/edit", data=data)
    assert response.status_code == 200 and b"already has a champion" in response.data
    db.session.refresh(member)
    assert member.role == Role.MEMBER


def test_admin_edits_a_champion_without_tripping_over_themselves(make_member, client_for):
    champion = make_member("champion")
    client = client_for(make_member("admin"))
    data = {"name": "New Name", "role": "champion", "organisation_id": champion.organisation_id}
    assert client.post(f"/members/{champion.id}/edit", data=data).status_code == 302
    db.session.refresh(champion)
    assert champion.name == "New Name" and champion.role == Role.CHAMPION


def test_admin_hands_the_champion_role_over(make_member, client_for):
    champion = make_member("champion")
    successor = make_member(organisation=champion.organisation)
    client = client_for(make_member("admin"))
    city = champion.organisation_id
    edit = {"role": "member", "organisation_id": city, "name": champion.name}
    assert client.post(f"/members/{champion.id}/edit", data=edit).status_code == 302
    edit = {"role": "champion", "organisation_id": city, "name": successor.name}
    assert client.post(f"/members/{successor.id}/edit", data=edit).status_code == 302
    db.session.expire_all()
    assert (champion.role, successor.role) == (Role.MEMBER, Role.CHAMPION)


def test_admin_cannot_drop_their_own_admin_role(make_member, client_for):
    admin = make_member("admin")
    client = client_for(admin)
    data = {"name": admin.name, "role": "member", "organisation_id": admin.organisation_id}
    response = client.post(f"/members/{admin.id}/edit", data=data)
    assert b"own admin role" in response.data
    db.session.refresh(admin)
    assert admin.is_admin


def test_member_list_query_count_does_not_grow(make_member, make_org, client_for, count_queries):
    client = client_for(make_member("admin"))
    db.session.expire_all()
    with count_queries() as few:
        client.get("/admin/members")
    for _ in range(6):
        make_member(organisation=make_org("city"))
    db.session.expire_all()
    with count_queries() as many:
        page = client.get("/admin/members?q=example")
    assert page.data.count(b"<tr") == 8
    assert many.count == few.count
    db.session.expire_all()
    with count_queries() as orgs:
        assert client.get("/admin/organisations").status_code == 200
    assert orgs.count <= few.count


def test_member_search_and_role_filter(make_member, client_for):
    client = client_for(make_member("admin", name="Alex Admin"))
    make_member("host", name="Hana Host")
    page = client.get("/admin/members?role=host").data.split(b"<tbody>")[1]
    assert b"Hana Host" in page and b"Alex Admin" not in page
    page = client.get("/admin/members?q=ALEX").data.split(b"<tbody>")[1]
    assert b"Alex Admin" in page and b"Hana Host" not in page


# --- profile and time zones -------------------------------------------------------------


def test_profile_zone_changes_the_times_shown(make_member, make_org, client_for):
    member = make_member(organisation=make_org("city", zone="America/New_York"))
    client = client_for(member)
    member.last_sign_in_at = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    db.session.commit()
    page = client.get("/account").data.decode()
    assert "15:00 EST (Eastern — New York)" in page
    response = client.post("/account", data={"name": member.name, "zone": "America/Phoenix"})
    assert response.status_code == 302
    page = client.get("/account").data.decode()
    assert "13:00 MST (Mountain, no daylight saving — Phoenix)" in page
    assert '<option selected value="America/Phoenix">Mountain, no daylight saving' in page
    assert re.search(
        r"Times are shown in <strong>Mountain, no daylight saving — Phoenix</strong>", page
    )


def test_a_bad_profile_zone_is_explained_and_not_saved(make_member, client_for):
    member = make_member()
    client = client_for(member)
    response = client.post("/account", data={"name": "Changed", "zone": "Moon/Base"})
    assert response.status_code == 200
    assert "“Moon/Base” is not an IANA time zone".encode() in response.data
    db.session.refresh(member)
    assert member.zone is None and member.name != "Changed"


def test_admin_invites_with_a_role_that_must_fit(make_member, make_org, client_for):
    client = client_for(make_member("admin"))
    partner = make_org("partner")
    response = client.post(
        f"/organisations/{partner.slug}/invite",
        data={"name": "C", "email": "c@example.org", "role": "champion"},
    )
    assert response.status_code == 200 and b"Only a city has a champion." in response.data
    assert outbox_count() == 0
    response = client.post(
        f"/organisations/{partner.slug}/invite",
        data={"name": "H", "email": "h@example.org", "role": "host"},
    )
    assert response.status_code == 302
    host = db.session.scalar(select(Member).where(Member.email == "h@example.org"))
    assert host.role == Role.HOST and outbox_count() == 1


def test_inviting_a_registered_address_answers_like_any_invitation(
    make_member, client_for, deliver_mail
):
    champion = make_member("champion")
    city = champion.organisation
    registered = make_member()  # of another city: the champion cannot see them
    client = client_for(champion)
    answers = []
    for email in ("fresh@example.org", registered.email.upper()):
        response = client.post(
            f"/organisations/{city.slug}/invite",
            data={"name": "Someone", "email": email, "role": "member"},
        )
        assert response.status_code == 302
        page = client.get(response.location).data
        answers.append((response.location, page.replace(email.lower().encode(), b"EMAIL")))
    (fresh_location, fresh_page), (known_location, known_page) = answers
    assert fresh_location == known_location
    assert re.findall(rb'class="flash[^"]*"[^>]*>[^<]*', fresh_page) == re.findall(
        rb'class="flash[^"]*"[^>]*>[^<]*', known_page
    )
    assert b"An invitation is on its way to EMAIL." in known_page
    assert db.session.scalar(select(func.count(Member.id)).where(Member.name == "Someone")) == 1
    messages = deliver_mail()
    assert sorted(m["To"] for m in messages) == sorted(["fresh@example.org", registered.email])
