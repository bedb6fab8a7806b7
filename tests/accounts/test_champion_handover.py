"""A city's champion role handed to another member in one step, by the champion (from the
people page) or an admin (from the member's page): both people named before, both told
by email after, the old champion a member, and a champion handing over their own role
still signed in on the browser they used."""

import threading

import pytest
from sqlalchemy import select

from convene.accounts import champions
from convene.accounts.models import Member, Role
from convene.extensions import db
from convene.history.models import Action, ActionKind
from tests.accounts.test_sessions import assert_cookies_ended, sign_in
from tests.conftest import body_of


@pytest.fixture
def city(make_org, make_member):
    organisation = make_org("city", name="Tacoma")
    champion = make_member("champion", organisation=organisation, name="Cleo Champion")
    member = make_member(organisation=organisation, name="Mo Member")
    return organisation, champion, member


def test_the_champion_hands_over_from_the_people_page(app, city, deliver_mail):
    organisation, champion, member = city
    here, here_saved = sign_in(app, champion)
    _, elsewhere = sign_in(app, champion)
    _, members_device = sign_in(app, member)
    deliver_mail()

    people = here.get(f"/organisations/{organisation.slug}/people").get_data(as_text=True)
    path = f"/organisations/{organisation.slug}/champion/{member.id}"
    assert f'href="{path}"' in people
    page = here.get(path).get_data(as_text=True)
    assert "Make Mo Member the champion of Tacoma" in page
    assert "Hand the role from you to Mo Member" in page

    response = here.post(path)
    assert response.status_code == 302 and response.location == "/"
    db.session.expire_all()
    assert db.session.get(Member, champion.id).role == Role.MEMBER
    assert db.session.get(Member, member.id).role == Role.CHAMPION

    # The old champion stays signed in here, now as a member; everything else ended.
    assert "is now the champion of Tacoma" in here.get("/").get_data(as_text=True)
    assert here.get("/account").status_code == 200
    assert here.get(f"/organisations/{organisation.slug}/people").status_code == 403
    assert_cookies_ended(app, here_saved)
    assert_cookies_ended(app, elsewhere)
    assert_cookies_ended(app, members_device)  # a change of role, as ever

    mails = {m["To"].addresses[0].addr_spec: m for m in deliver_mail()}
    assert set(mails) == {champion.email, member.email}
    assert mails[member.email]["Subject"] == "You are now the champion of Tacoma"
    assert "taking over from Cleo Champion" in body_of(mails[member.email])
    assert mails[champion.email]["Subject"] == "Mo Member is now the champion of Tacoma"
    assert "You handed the champion role of Tacoma to Mo Member" in body_of(mails[champion.email])
    (action,) = db.session.scalars(select(Action)).all()
    assert action.kind == ActionKind.CHAMPION_HANDED_OVER
    assert (action.actor_id, action.member_id, action.former_member_id) == (
        champion.id,
        member.id,
        champion.id,
    )


def test_an_admin_hands_over_from_the_member_page(app, city, make_member, deliver_mail):
    organisation, champion, member = city
    admin = app.test_client(user=make_member("admin", name="Ada Admin"))
    edit = admin.get(f"/members/{member.id}/edit").get_data(as_text=True)
    path = f"/organisations/{organisation.slug}/champion/{member.id}"
    assert f'href="{path}"' in edit
    page = admin.get(path).get_data(as_text=True)
    assert "<strong>Mo Member</strong> becomes the champion of Tacoma" in page
    assert "<strong>Cleo Champion</strong>, the champion now, becomes a member" in page
    deliver_mail()

    response = admin.post(path)
    assert response.status_code == 302
    assert response.location == f"/organisations/{organisation.slug}/people"
    people = admin.get(response.location).get_data(as_text=True)
    assert "Mo Member is now the champion of Tacoma. Cleo Champion is now a member." in people
    assert "Champion role of Tacoma handed from Cleo Champion to Mo Member by Ada Admin" in people
    mails = {m["To"].addresses[0].addr_spec: m for m in deliver_mail()}
    assert "Ada Admin handed the champion role" in body_of(mails[champion.email])
    assert "Ada Admin made you the champion of Tacoma" in body_of(mails[member.email])
    history = admin.get(f"/members/{member.id}/edit").get_data(as_text=True)
    assert "Champion role of Tacoma handed from Cleo Champion to Mo Member" in history


def test_an_admin_names_a_champion_for_a_city_without_one(app, make_org, make_member):
    organisation = make_org("city", name="Boise")
    member = make_member(organisation=organisation, name="Bo Member")
    admin = app.test_client(user=make_member("admin"))
    path = f"/organisations/{organisation.slug}/champion/{member.id}"
    assert "Boise has no champion" in admin.get(path).get_data(as_text=True)
    assert admin.post(path).status_code == 302
    assert db.session.get(Member, member.id).role == Role.CHAMPION


def test_who_may_hand_over(app, city, make_member, make_org):
    organisation, champion, member = city
    path = f"/organisations/{organisation.slug}/champion/{member.id}"
    assert app.test_client(user=member).get(path).status_code == 403
    assert app.test_client(user=member).post(path).status_code == 403
    other_champion = make_member("champion", organisation=make_org("city"))
    assert app.test_client(user=other_champion).post(path).status_code == 403
    assert app.test_client(user=make_member("host")).post(path).status_code == 403
    assert app.test_client().get(path).status_code == 302  # to the sign-in page
    # Someone of another city cannot be made this city's champion.
    stranger = make_member()
    stranger_path = f"/organisations/{organisation.slug}/champion/{stranger.id}"
    assert app.test_client(user=champion).post(stranger_path).status_code == 404
    db.session.expire_all()
    assert db.session.get(Member, champion.id).role == Role.CHAMPION


@pytest.mark.parametrize("who", ["invited", "deactivated", "champion"])
def test_only_an_active_member_who_joined_can_take_over(app, city, make_member, who):
    organisation, champion, _member = city
    target = {
        "invited": lambda: make_member(organisation=organisation, password_hash=None),
        "deactivated": lambda: make_member(organisation=organisation, active=False),
        "champion": lambda: champion,
    }[who]()
    client = app.test_client(user=champion)
    people = client.get(f"/organisations/{organisation.slug}/people").get_data(as_text=True)
    path = f"/organisations/{organisation.slug}/champion/{target.id}"
    assert f'href="{path}"' not in people
    page = client.get(path).get_data(as_text=True)
    assert 'role="alert"' in page and "<button" not in page.split("<main", 1)[-1]
    response = client.post(path)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Member, champion.id).role == Role.CHAMPION
    assert db.session.scalar(select(db.func.count(Action.id))) == 0


def test_the_database_refuses_a_second_champion_from_a_race(app, city, make_member, monkeypatch):
    """A handover that read no champion while another was made: the unique index refuses
    it, and the page says so (nothing half-written)."""
    organisation, champion, member = city
    admin = app.test_client(user=make_member("admin"))
    monkeypatch.setattr(champions, "current_champion", lambda organisation: None)
    response = admin.post(f"/organisations/{organisation.slug}/champion/{member.id}")
    assert response.status_code == 200
    assert "Someone changed the city&#39;s champion just now" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Member, champion.id).role == Role.CHAMPION
    assert db.session.get(Member, member.id).role == Role.MEMBER
    assert db.session.scalar(select(db.func.count(Action.id))) == 0


@pytest.mark.postgres_only
def test_two_handovers_at_once_leave_one_champion(make_app, app, city, make_member):
    organisation, champion, member = city
    other = make_member(organisation=organisation)
    # Plain values for the threads: the test's objects belong to this thread's session.
    admin_id, slug = make_member("admin").id, organisation.slug
    targets = [member.id, other.id]
    served = make_app()
    barrier = threading.Barrier(2)
    results = []

    def hand_to(target_id):
        with served.app_context():
            client = served.test_client(user=db.session.get(Member, admin_id))
            barrier.wait()
            response = client.post(f"/organisations/{slug}/champion/{target_id}")
            results.append(response.status_code)
            db.session.remove()

    threads = [threading.Thread(target=hand_to, args=(i,)) for i in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Both went through one after the other, or the second was told to look again.
    assert sorted(results) in ([200, 302], [302, 302])
    db.session.expire_all()
    champions_now = db.session.scalars(
        select(Member).where(
            Member.organisation_id == organisation.id, Member.role == Role.CHAMPION
        )
    ).all()
    assert len(champions_now) == 1 and champions_now[0].id in targets
    assert db.session.scalar(select(db.func.count(Action.id))) == results.count(302)


def test_the_people_page_keeps_its_queries_as_people_and_handovers_grow(
    app, make_org, make_member, client_for, count_queries
):
    admin = client_for(make_member("admin"))

    def city_with(n: int) -> str:
        organisation = make_org("city")
        people = [make_member(organisation=organisation) for _ in range(n)]
        for person in people:  # each takes the role in turn: n handovers
            champions.hand_over_champion(db.session.get(Member, admin_id), organisation, person)
            db.session.commit()
        return f"/organisations/{organisation.slug}/people"

    admin_id = db.session.scalar(select(Member.id).where(Member.role == Role.ADMIN))
    small, large = city_with(3), city_with(9)
    counts = []
    for path in (small, large):
        admin.get(path)  # warm
        with count_queries() as queries:
            page = admin.get(path)
        assert page.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts
    assert page.get_data(as_text=True).count("Champion role of") == 9
