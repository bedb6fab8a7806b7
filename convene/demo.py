"""`flask demo load`: a whole demo network, loaded once into an empty database."""

import importlib
import random

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from convene.extensions import db

# Each capability's loader, in order: later ones build on what earlier ones made.
LOADERS = [
    "convene.accounts.demo",
    "convene.convenings.demo",
    "convene.topics.demo",
    "convene.summit.demo",
    "convene.calendar.demo",
]

DEMO_PASSWORD = "convene-demo"

demo_cli = AppGroup("demo", help="Demo data.")


def load_demo(seed: int = 2016) -> bool:
    """Load every capability's demo data; False (and nothing changed) if data exists."""
    from convene.accounts.models import Organisation

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
    """Load the demo network if the database is empty."""
    if load_demo(seed):
        click.echo(f"Demo network loaded. Every demo account's password is {DEMO_PASSWORD!r}.")
    else:
        click.echo("The database already holds data: demo not loaded.")
