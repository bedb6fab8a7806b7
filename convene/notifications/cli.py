import socket
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from convene.notifications.digest import send_digests
from convene.notifications.outbox import deliver_all, watch
from convene.notifications.reminders import send_reminders

mail_cli = AppGroup("mail", help="Deliver the outbox; send reminders and daily digests.")

# The worker looks for due reminders and digests this often (seconds), not every poll.
JOBS_INTERVAL = 60.0


class PeriodicJobs:
    """Reminders and digests for the worker loop, at most once per `every` seconds. Safe
    with several workers: each reminder and digest goes once (see their modules)."""

    def __init__(self, every: float = JOBS_INTERVAL):
        self.every = every
        self.last: float | None = None

    def __call__(self) -> None:
        now = time.monotonic()
        if self.last is not None and now - self.last < self.every:
            return
        self.last = now
        reminded, digests = send_reminders(), send_digests()
        if reminded or digests:
            current_app.logger.warning("mail: %s reminders, %s digests queued", reminded, digests)


@mail_cli.command("send")
@click.option("--watch", "keep_watching", is_flag=True, help="Keep sending as mail arrives.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
def send_command(keep_watching: bool, interval: float) -> None:
    """Send every pending message that is due (exit status 1 if any attempt failed).

    With --watch, also queues reminders and daily digests as they fall due (every minute).
    """
    # Flask-Mail opens sockets without a timeout: a silent server must not hang the worker.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(current_app.config["MAIL_TIMEOUT"])
    try:
        if keep_watching:
            transport = current_app.config["MAIL_TRANSPORT"]
            click.echo(f"Sending mail every {interval:g}s by {transport}; Ctrl-C stops.")
            watch(interval, jobs=PeriodicJobs())
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


@mail_cli.command("reminders")
def reminders_command() -> None:
    """Queue the reminders that are due (each goes once, however often this runs)."""
    count = send_reminders()
    click.echo(f"{count} {'reminder' if count == 1 else 'reminders'} queued")


@mail_cli.command("digest")
def digest_command() -> None:
    """Queue the daily digests that are due (one per member and day)."""
    count = send_digests()
    click.echo(f"{count} {'digest' if count == 1 else 'digests'} queued")
