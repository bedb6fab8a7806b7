"""`flask accounts ...`: what an operator needs before anyone can sign in."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from convene.accounts.invitations import AccountError, check_role_fits, issue_token
from convene.accounts.models import (
    Member,
    Organisation,
    OrganisationKind,
    Role,
    TokenPurpose,
    normalise_email,
)
from convene.extensions import db
from convene.urls import external_url

accounts_cli = AppGroup("accounts", help="Organisations and members.")


@accounts_cli.command("create-admin")
@click.option("--email", required=True, help="The admin's email address.")
@click.option("--name", required=True, help="The admin's full name.")
@click.option("--organisation", "org_name", default="Programme team", show_default=True,
              help="Name of the programme organisation, created if there is none.")  # fmt: skip
def create_admin(email: str, name: str, org_name: str) -> None:
    """Create a programme admin and print a link to choose a password.

    For the first admin of a new installation: no mail is needed, the link is printed here.
    """
    email = normalise_email(email)
    if db.session.scalar(select(Member.id).where(Member.email == email)) is not None:
        raise click.ClickException(f"{email} already has an account.")
    programme = db.session.scalar(
        select(Organisation).where(Organisation.kind == OrganisationKind.PROGRAMME)
    )
    if programme is None:
        programme = Organisation(
            kind=OrganisationKind.PROGRAMME,
            name=org_name,
            slug="programme",
            zone=current_app.config["PROGRAMME_ZONE"],
        )
        db.session.add(programme)
    try:
        check_role_fits(Role.ADMIN, programme)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    admin = Member(email=email, name=name.strip(), organisation=programme, role=Role.ADMIN)
    db.session.add(admin)
    db.session.flush()
    secret = issue_token(admin, TokenPurpose.INVITATION, current_app.config["INVITATION_HOURS"])
    db.session.commit()
    link = external_url("accounts.accept_invitation", token=secret)
    click.echo(f"{admin.name} <{admin.email}> is an admin of {programme.name}.")
    click.echo(f"Choose a password here (the link works once): {link}")
