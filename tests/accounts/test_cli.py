import re

from sqlalchemy import select

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.extensions import db


def test_create_admin_on_an_empty_database_prints_a_working_link(app, client):
    result = app.test_cli_runner().invoke(
        args=["accounts", "create-admin", "--email", "Alex@Example.org", "--name", "Alex Admin"]
    )
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(Member))
    assert admin.email == "alex@example.org" and admin.role == Role.ADMIN
    assert admin.organisation.kind == OrganisationKind.PROGRAMME
    assert admin.organisation.zone == app.config["PROGRAMME_ZONE"]
    path = re.search(r"http://convene\.test(/invitation/\S+)", result.output).group(1)
    password = "the first admin password"
    response = client.post(path, data={"password": password, "confirm": password})
    assert response.status_code == 302
    assert client.get("/admin/organisations").status_code == 200


def test_create_admin_uses_the_existing_programme_and_refuses_a_known_email(app, make_member):
    existing = make_member("admin")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["accounts", "create-admin", "--email", "second@example.org", "--name", "Second"]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Organisation).where(Organisation.kind == "programme")).id == (
        existing.organisation_id
    )
    result = runner.invoke(
        args=["accounts", "create-admin", "--email", existing.email.upper(), "--name", "X"]
    )
    assert result.exit_code == 1 and "already has an account" in result.output
