"""Time POST /api/v1/contacts/ with 1,000 contacts per request, in-process (no HTTP server).

    DEBUG=1 DATABASE_URL=postgres://... .venv/bin/python bench/api_contacts.py [--rounds 5]

Runs on a throw-away test database (test_<name>), never on the configured one. Prints, per kind
of request, the median time of one request: new contacts into a growing history, the same
batch again (all unchanged), and the same batch with every contact changed.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from tickets.tokens import api_token_create  # noqa: E402

T0 = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)


def batch(start: int, size: int, reason: str = "billing") -> list[dict]:
    items = []
    for n in range(start, start + size):
        at = T0 + timedelta(minutes=7 * n)
        items.append({
            "contact_id": str(n), "ticket_id": str(n // 2), "customer_id": str(n % 3000),
            "channel": ("phone", "email", "chat")[n % 3], "reason": reason,
            "agent_id": str(n % 200), "team": f"team_{n % 10}", "direction": "inbound",
            "started_at": at.isoformat(), "answered_at": (at + timedelta(seconds=30)).isoformat(),
            "ended_at": (at + timedelta(minutes=6)).isoformat(), "handle_seconds": 330,
            "customer_email": f"c{n % 3000}@example.com", "customer_language": "fr",
        })  # fmt: skip
    return items


def timed(client: APIClient, body: list[dict], expect: int) -> float:
    started = time.perf_counter()
    response = client.post("/api/v1/contacts/", body, format="json")
    elapsed = time.perf_counter() - started
    assert response.status_code == expect, response.content[:500]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args()

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        owner = User.objects.create_user("bench")
        client = APIClient()
        _token, raw = api_token_create(name="b", user=owner, scopes=["history:write"])
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        new, same, changed = [], [], []
        for r in range(args.rounds):
            body = batch(r * args.size, args.size)
            new.append(timed(client, body, 201))
            same.append(timed(client, body, 200))
            changed.append(timed(client, batch(r * args.size, args.size, "delivery"), 200))
        print(f"{connection.vendor}, {args.size} contacts per request, {args.rounds} rounds:")
        for name, times in [("new", new), ("unchanged", same), ("all changed", changed)]:
            median = statistics.median(times)
            rate = args.size / median
            print(f"  {name:12} {median * 1000:7.0f} ms/request  {rate:8,.0f} contacts/s")
    finally:
        from django.test.utils import teardown_databases

        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
