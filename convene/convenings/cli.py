"""`flask calls extend`: schedule calls up to each series' horizon (safe to run any time)."""

import click
from flask.cli import AppGroup

from convene.convenings.rotation import extend_all
from convene.extensions import db

calls_cli = AppGroup("calls", help="Call series.")


@calls_cli.command("extend")
def extend_command() -> None:
    """Create the calls each series needs up to its horizon; existing calls are untouched.

    Run it daily from cron: running it twice, or twice at once, creates nothing extra.
    """
    done = extend_all()
    db.session.commit()
    if not done:
        click.echo("No series yet.")
    for name, result in done.items():
        click.echo(f"{name}: {result.created} calls added, {result.existing} already scheduled.")
