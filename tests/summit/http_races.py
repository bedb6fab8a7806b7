"""Racing real requests: each thread has its own signed-in test client, on one of several app
instances (each with its own engine and connections), and all send at one barrier.

Apps are built with TESTING, so an error in a view is raised here rather than answered with a
500: both count as a 500, with the error kept so that a failing assert shows it.
"""

import threading
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    body: str = ""
    error: str | None = None


def race_requests(apps, requests) -> list[Answer]:
    """Send every (member, method, url[, form data]) at the same moment, spread over `apps`;
    the answers come back in the order given."""
    clients = [
        (apps[i % len(apps)].test_client(user=member), method, url, data)
        for i, (member, method, url, *rest) in enumerate(requests)
        for data in [rest[0] if rest else None]
    ]
    barrier = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def send(index, client, method, url, data):
        try:
            barrier.wait(timeout=60)
            response = client.open(url, method=method, data=data)
            answers[index] = Answer(response.status_code, response.get_data(as_text=True))
        except Exception as exc:  # an unhandled error in the view
            answers[index] = Answer(500, error=repr(exc))

    threads = [threading.Thread(target=send, args=(i, *client)) for i, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing request never finished"
    return answers


def status_codes(answers: list[Answer]) -> list:
    """Status codes, with the error beside each 500 (so an assert shows what went wrong)."""
    return [a.status if a.error is None else (a.status, a.error) for a in answers]


def racing_apps(make_app, count: int) -> list:
    """`count` app instances sharing the test database, as behind a load balancer."""
    return [make_app() for _ in range(count)]
