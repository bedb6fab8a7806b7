"""Answering calendar clients' polls before Flask dispatches the request.

Calendar apps poll feeds around the clock, mostly for nothing new. When this process has
the feed cached and the stamps of the scopes it depends on are unchanged, the answer (200,
304 or HEAD) is written straight from the cache: one indexed read of those few stamps and
a dictionary lookup. Any other request, and any feed not cached or no longer current, goes
to Flask as usual, whose view fills the cache with the same FeedAnswer, so both paths send
identical headers.
"""

from werkzeug.exceptions import HTTPException

from convene.calendar.freshness import read_stamps, stamp_engine
from convene.calendar.publishing import cached_answer, feed_key

STATUS = {200: "200 OK", 304: "304 Not Modified"}


class FeedFastPath:
    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._engine = None

    def _stamps(self, scopes: tuple[str, ...]):
        if self._engine is None:
            from convene.extensions import db

            url = self.app.config["SQLALCHEMY_DATABASE_URI"]
            engine = stamp_engine(url)
            if engine is None:
                with self.app.app_context():
                    engine = db.engine
            self._engine = engine
        return read_stamps(self._engine, scopes)

    def _answer(self, environ):
        try:
            endpoint, args = self.app.url_map.bind_to_environ(environ).match(method="GET")
        except HTTPException:
            return None
        key = feed_key(endpoint, args)
        if key is None:
            return None
        try:
            return cached_answer(self.app, key, self._stamps)
        except Exception:  # the database is unwell: let Flask answer (and report) it
            return None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if method in ("GET", "HEAD") and path.startswith("/calendar/") and path.endswith(".ics"):
            answer = self._answer(environ)
            if answer is not None:
                status, headers, body = answer.respond(
                    environ.get("HTTP_IF_NONE_MATCH"), environ.get("HTTP_IF_MODIFIED_SINCE")
                )
                start_response(STATUS[status], headers)
                return [] if method == "HEAD" else [body]
        return self.wsgi_app(environ, start_response)
