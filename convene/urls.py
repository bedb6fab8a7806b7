"""Absolute links for mail and calendar feeds, built from BASE_URL rather than the request.

Mail is rendered by workers and CLI commands with no request at hand, and feeds are cached
across instances, so every absolute link comes from the configured base URL. The one
exception is development with BASE_URL left unset: there a link made while answering a
request follows the address the request came to, so that a server started on another host or
port links to itself. Production never trusts the request's Host header for links.
"""

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

from convene.config import DEFAULT_BASE_URL


def base_url() -> str:
    """The address links start with: BASE_URL, or (development, unset, in a request) the
    address being served."""
    configured = current_app.config["BASE_URL"]
    if (
        configured == DEFAULT_BASE_URL
        and current_app.config.get("CONVENE_ENV") == "development"
        and has_request_context()
    ):
        return request.url_root
    return configured


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
