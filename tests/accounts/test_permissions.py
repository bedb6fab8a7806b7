from flask_login import AnonymousUserMixin

from convene.accounts.permissions import can_manage_member, can_manage_organisation, role_required


def test_admin_manages_every_organisation_and_member(make_member, make_org):
    admin = make_member("admin")
    for kind in ("city", "partner", "programme"):
        org = make_org(kind)
        assert can_manage_organisation(admin, org)
    assert can_manage_member(admin, make_member("champion"))
    assert can_manage_member(admin, make_member("host"))


def test_champion_manages_plain_members_of_their_own_city_only(make_member, make_org):
    champion = make_member("champion")
    city = champion.organisation
    assert can_manage_organisation(champion, city)
    assert not can_manage_organisation(champion, make_org("city"))
    assert can_manage_member(champion, make_member(organisation=city))
    assert not can_manage_member(champion, champion)
    assert not can_manage_member(champion, make_member())  # another city's member


def test_members_hosts_and_the_public_manage_nobody(make_member):
    member = make_member()
    host = make_member("host")
    for actor in (member, host, AnonymousUserMixin(), None):
        assert not can_manage_organisation(actor, member.organisation)
        assert not can_manage_organisation(actor, host.organisation)


def test_role_required(app, make_member, client_for, client):
    @role_required("host")
    def hosts_only():
        return "ok"

    app.add_url_rule("/test-hosts-only", view_func=hosts_only)
    assert client.get("/test-hosts-only").status_code == 302  # to sign in
    assert client_for(make_member()).get("/test-hosts-only").status_code == 403
    assert client_for(make_member("champion")).get("/test-hosts-only").status_code == 403
    assert client_for(make_member("host")).get("/test-hosts-only").data == b"ok"
    assert client_for(make_member("admin")).get("/test-hosts-only").data == b"ok"
