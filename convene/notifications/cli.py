import socket
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from convene.notifications.outbox import deliver_all, watch

mail_cli = AppGroup("mail", help="Deliver the outbox.")


@mail_cli.command("send")
@click.option("--watch", "keep_watching", is_flag=True, help="Keep sending as mail arrives.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
def send_command(keep_watching: bool, interval: float) -> None:
    """Send every pending message that is due (exit status 1 if any attempt failed)."""
    # Flask-Mail opens sockets without a timeout: a silent server must not hang the worker.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(current_app.config["MAIL_TIMEOUT"])
    try:
        if keep_watching:
            transport = current_app.config["MAIL_TRANSPORT"]
            click.echo(f"Sending mail every {interval:g}s by {transport}; Ctrl-C stops.")
            watch(interval)
            return
        sent, failed = deliver_all()
    finally:
        socket.setdefaulttimeout(previous)
    click.echo(
        f"{sent} sent, {failed} failed (retried later, unless it can never be sent: "
        "see Mail in the admin menu)"
    )
    if failed:
        sys.exit(1)
