"""`flask demo load`: a whole demo network, loaded once into an empty database."""

import importlib
import random

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from convene.extensions import db

# Each capability's loader, in order: later ones build on what earlier ones made.
LOADERS = [
    "convene.accounts.demo",
    "convene.convenings.demo",
    "convene.breakouts.demo",
    "convene.topics.demo",
    "convene.visits.demo",
    "convene.summit.demo",
    "convene.calendar.demo",
    "convene.applications.demo",  # last: the cities it accepts change no other loader's draws
]

DEMO_PASSWORD = "convene-demo"

# The demo's accounts share a password printed in the README: never in a real installation.
DEMO_ENVIRONMENTS = {"development", "testing"}

demo_cli = AppGroup("demo", help="Demo data.")


class DemoRefused(RuntimeError):
    """The configuration is not one the demo may be loaded into."""


def check_demo_allowed() -> None:
    env = current_app.config.get("CONVENE_ENV")
    if env not in DEMO_ENVIRONMENTS:
        raise DemoRefused(
            f"The demo network is for development and testing only, and this is a "
            f"{env or 'custom'} configuration (CONVENE_ENV={env or 'unset'}). Its accounts "
            f"share a published password, so it is never loaded here."
        )


def load_demo(seed: int = 2016) -> bool:
    """Load every capability's demo data; False (and nothing changed) if data exists.

    Raises DemoRefused in a production configuration.
    """
    from convene.accounts.models import Organisation

    check_demo_allowed()
    if db.session.scalar(select(func.count(Organisation.id))):
        return False
    rng = random.Random(seed)
    for name in LOADERS:
        importlib.import_module(name).load(rng)
        db.session.flush()
    db.session.commit()
    return True


@demo_cli.command("load")
@click.option("--seed", default=2016, show_default=True)
def load_command(seed: int) -> None:
    """Load the demo network if the database is empty (never in production)."""
    try:
        loaded = load_demo(seed)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if loaded:
        click.echo(f"Demo network loaded. Every demo account's password is {DEMO_PASSWORD!r}.")
    else:
        click.echo("The database already holds data: demo not loaded.")
