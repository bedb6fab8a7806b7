"""The yardstick: a bare Flask app that returns fixed bytes (and a fixed 304), nothing else."""

import os
from pathlib import Path

from flask import Flask, Response

app = Flask(__name__)
FOLDER = Path(os.environ["BENCH_BODIES"])
BODIES = {path.stem: path.read_bytes() for path in FOLDER.glob("*.ics")}
ETAG = '"bare"'


@app.get("/bare/<name>.ics")
def bare(name: str):
    response = Response(BODIES[name], content_type="text/calendar; charset=utf-8")
    response.headers["ETag"] = ETAG
    return response


@app.get("/bare-304")
def bare_not_modified():
    return Response(status=304, headers={"ETag": ETAG})
