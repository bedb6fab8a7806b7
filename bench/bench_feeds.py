"""Feed endpoints under load, against a bare Flask endpoint that returns the same bytes.

    .venv/bin/python bench/bench_feeds.py [--postgres URL] [--seconds 5]

Seeds a fresh database (a SQLite file, or a new PostgreSQL database) with 1,000 calls that
one member said yes to, serves the app and a bare Flask app each with gunicorn (2 workers)
on 127.0.0.1, and measures with wrk (2 threads, 10 connections, a few seconds each):
the bare bytes, the public and personal feeds unchanged, a bare 304 and a feed's 304, the
naive feed, and (one client) a personal feed changed just before every request.
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
EVENTS = 1000
TOKEN = "bench-" + "x" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(env: dict) -> None:
    os.environ.update(env)
    from convene import create_app
    from convene.accounts.models import Member, Organisation, OrganisationKind, Role
    from convene.calendar.models import CalendarSubscription
    from convene.convenings.models import Call, Rsvp, RsvpAnswer, Series
    from convene.extensions import db
    from convene.zones import to_utc

    app = create_app()
    with app.app_context():
        db.create_all()
        partner = Organisation(kind=OrganisationKind.PARTNER, name="GovEx", slug="govex",
                               zone="America/New_York")  # fmt: skip
        city = Organisation(kind=OrganisationKind.CITY, name="Tempe", slug="tempe", state="AZ",
                            population=180_000, zone="America/Phoenix")  # fmt: skip
        member = Member(email="bench@tempe.example.org", name="Bench", organisation=city,
                        role=Role.MEMBER)  # fmt: skip
        series = Series(name="Network call", first_date=datetime.now(UTC).date(),
                        local_time=wall(13), zone="America/New_York",
                        video_url="https://video.example.org/j/1", dial_in_number="+1 555 0100",
                        dial_in_code="4242#")  # fmt: skip
        db.session.add_all([partner, city, member, series])
        db.session.flush()
        zones = ["America/New_York", "America/Chicago", "America/Phoenix"]
        first = datetime.now(UTC).date() + timedelta(days=1)
        for i in range(EVENTS):
            day = first + timedelta(days=i)
            zone = zones[i % 3]
            call = Call(series=series, slot_date=day, starts_at=to_utc(day, wall(13), zone),
                        duration_minutes=60, zone=zone, host_organisation=partner,
                        title=f"Topic {i}: data, budgets; and \\ results",
                        agenda="1. Welcome\n2. Case study from a city\n3. Questions")  # fmt: skip
            db.session.add(call)
            db.session.add(Rsvp(call=call, member=member, answer=RsvpAnswer.YES))
        db.session.add(CalendarSubscription(member=member, token=TOKEN))
        db.session.commit()


def serve(module: str, port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", module],
        cwd=ROOT / "bench", env=env, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{module} did not start")


def get(port: int, path: str, headers=None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def wrk(url: str, seconds: int, headers=None, connections: int = 10) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx" in output:
        raise RuntimeError(f"errors from {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def changed_loop(env: dict, port: int, path: str, seconds: float) -> tuple[float, float]:
    """Change one call (a real commit, as a host would), then GET the feed; repeat.

    Returns requests per second counting only the GETs, and counting change + GET.
    """
    os.environ.update(env)
    from convene import create_app
    from convene.convenings.models import Call
    from convene.extensions import db

    app = create_app()
    with app.app_context():
        ids = list(db.session.scalars(db.select(Call.id).order_by(Call.id)))
        gets = total = 0.0
        count = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            t0 = time.perf_counter()
            call = db.session.get(Call, ids[count % len(ids)])
            call.starts_at += timedelta(minutes=15)
            call.bump_revision()
            db.session.commit()
            t1 = time.perf_counter()
            status, _headers, body = get(port, path)
            t2 = time.perf_counter()
            assert status == 200 and f"SEQUENCE:{call.revision}".encode() in body
            gets += t2 - t1
            total += t2 - t0
            count += 1
        return count / gets, count / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="server URL without a database name")
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="convene-bench-"))
    database = f"sqlite:///{work / 'bench.sqlite'}"
    admin = None
    if args.postgres:
        import psycopg

        name = f"convene_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg.connect(
            args.postgres.replace("postgresql+psycopg://", "postgresql://") + "/postgres",
            autocommit=True,
        )
        admin.execute(f'CREATE DATABASE "{name}"')
        database = f"{args.postgres}/{name}"
    env = dict(os.environ, CONVENE_ENV="production", DATABASE_URL=database,
               SECRET_KEY="bench", BASE_URL="https://convene.example.org",
               CONVENE_INSTANCE=str(work), BENCH_BODIES=str(work / "bodies"))  # fmt: skip
    processes = []
    try:
        seed(env)
        app_port, bare_port = free_port(), free_port()
        processes.append(serve("app:app", app_port, env))
        personal = f"/calendar/me/{TOKEN}.ics"
        public = "/calendar/public.ics"
        for _ in range(4):  # warm both workers
            get(app_port, personal)
            get(app_port, public)
        bodies = work / "bodies"
        bodies.mkdir()
        status, headers, personal_body = get(app_port, personal)
        assert status == 200 and personal_body.count(b"BEGIN:VEVENT") == EVENTS
        etag = headers["ETag"]
        _, _, public_body = get(app_port, public)
        (bodies / "personal.ics").write_bytes(personal_body)
        (bodies / "public.ics").write_bytes(public_body)
        processes.append(serve("bare_app:app", bare_port, env))
        assert get(app_port, personal, {"If-None-Match": etag})[0] == 304

        s = args.seconds
        app_url, bare_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        pairs = {
            "personal": (f"{bare_url}/bare/personal.ics", app_url + personal, {}),
            "public": (f"{bare_url}/bare/public.ics", app_url + public, {}),
            "304": (f"{bare_url}/bare-304", app_url + personal, {"If-None-Match": etag}),
        }
        best = {}
        for _round in range(2):  # alternate bare and app, keep each one's best run
            for name, (bare, feed, headers) in pairs.items():
                for label, url in ((f"bare {name}", bare), (f"feed {name}", feed)):
                    best[label] = max(best.get(label, 0.0), wrk(url, s, headers))
        changed_get, changed_total = changed_loop(env, app_port, personal, s)
        # The naive feed last: its slow requests must not queue up ahead of others.
        naive_one, started = 0, time.perf_counter()
        while naive_one < 5 or time.perf_counter() - started < s:
            assert get(app_port, f"/bench/naive/{TOKEN}.ics")[0] == 200
            naive_one += 1
        naive_single = naive_one / (time.perf_counter() - started)
        results = {
            "bare bytes of the personal feed": best["bare personal"],
            "personal feed (1,000 events), unchanged": best["feed personal"],
            "bare bytes of the public feed": best["bare public"],
            "public feed, unchanged": best["feed public"],
            "bare 304": best["bare 304"],
            "feed 304": best["feed 304"],
        }

        print(f"\nDatabase: {'PostgreSQL' if admin else 'SQLite file'}; personal feed "
              f"{len(personal_body):,} bytes, public {len(public_body):,} bytes; wrk -t2 -c10 "
              f"-d{s}s; gunicorn 2 workers each.\n")  # fmt: skip
        rows = [(name, value) for name, value in results.items()]
        rows += [
            ("naive personal feed, one client", naive_single),
            ("changed before every GET, one client (GET only)", changed_get),
            ("changed before every GET, one client (change + GET)", changed_total),
        ]
        for name, value in rows:
            print(f"  {name:<55} {value:>9.1f} req/s")
        checks = [
            ("unchanged personal feed / bare", best["feed personal"] / best["bare personal"], 0.85),
            ("unchanged public feed / bare", best["feed public"] / best["bare public"], 0.85),
            ("feed 304 / bare 304", best["feed 304"] / best["bare 304"], 0.75),
            ("just-changed / naive (one client each)", changed_get / naive_single, 5.0),
            ("just-changed incl. the change / naive", changed_total / naive_single, 5.0),
        ]  # fmt: skip
        print()
        for name, ratio, goal in checks:
            verdict = "ok" if ratio >= goal else "BELOW GOAL"
            print(f"  {name:<55} {ratio:>8.2f}  (goal {goal:g})  {verdict}")
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        if admin is not None:
            time.sleep(0.5)
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
