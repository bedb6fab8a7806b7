"""Absolute links for mail and calendar feeds, built from BASE_URL rather than the request.

Mail is rendered by workers and CLI commands with no request at hand, and feeds are cached
across instances, so every absolute link comes from the configured base URL.
"""

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
