"""What the connectors' tests share: sources with a known secret, signed posts in each
helpdesk's scheme, the vendors' own bodies, and a local HTTP server standing for a helpdesk."""

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from connectors.models import Kind, Source
from tests.conftest import REQUIRE_SERVICES

SECRET = "s3cret-signing-key-for-tests"
PREFIXES = {
    Kind.ZENDESK: "zd-",
    Kind.FRESHDESK: "fd-",
    Kind.ZAMMAD: "zm-",
    Kind.CHATWOOT: "cw-",
    Kind.GENERIC: "gx-",
}


@pytest.fixture(autouse=True)
def in_english(settings):
    """Reasons and answers are read in English here (the site's default is French)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def vendor_dir() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "fixtures" / "helpdesk-payloads"


@pytest.fixture
def vendor_bodies() -> Callable[[str], bytes]:
    """The helpdesks' published bodies, read where the project keeps them (never copied)."""
    folder = vendor_dir()
    if not folder.is_dir():
        reason = f"the vendors' bodies are not at {folder} (a clone without shared/ beside it)"
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return lambda name: (folder / name).read_bytes()


def source_create(kind: str, **fields) -> Source:
    source = Source(
        name=f"{kind} desk",
        slug=kind,
        kind=kind,
        id_prefix=PREFIXES[kind],
        **fields,
    )
    source.secret_set(SECRET)
    source.save()
    return source


def signed_headers(
    kind: str, body: bytes, *, secret: str = SECRET, at: datetime | None = None, delivery: str = ""
) -> dict[str, str]:
    """The headers each helpdesk sends with a body, signed as it signs them."""
    at = at or datetime.now(UTC)
    key = secret.encode()
    if kind == Kind.ZENDESK:
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        mac = hmac.new(key, stamp.encode() + body, hashlib.sha256).digest()
        headers = {
            "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        }
        name = "X-Zendesk-Webhook-Invocation-Id"
    elif kind == Kind.CHATWOOT:
        stamp = str(int(at.timestamp()))
        mac = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {"X-Chatwoot-Signature": f"sha256={mac}", "X-Chatwoot-Timestamp": stamp}
        name = "X-Chatwoot-Delivery"
    elif kind == Kind.ZAMMAD:
        mac = hmac.new(key, body, hashlib.sha1).hexdigest()
        headers = {"X-Hub-Signature": f"sha1={mac}", "X-Zammad-Trigger": "Ecoute"}
        name = "X-Zammad-Delivery"
    elif kind == Kind.FRESHDESK:
        auth = base64.b64encode(f"ecoute:{secret}".encode()).decode()
        headers = {"Authorization": f"Basic {auth}"}
        name = ""
    else:
        stamp = str(int(at.timestamp()))
        mac = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {"X-Ecoute-Signature": f"t={stamp},v1={mac}"}
        name = "X-Ecoute-Delivery"
    if delivery and name:
        headers[name] = delivery
    return headers


def post(client, source: Source, body: bytes | dict, **signing):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        f"/hooks/{source.slug}/",
        data=raw,
        content_type="application/json",
        headers=signed_headers(source.kind, raw, **signing),
    )


def ago(**delta) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeHelpdesk:
    """A helpdesk's API on 127.0.0.1, answering each request with `answer(method, path,
    body) -> (status, headers, body)`; records what it was asked. Stopped by the fixture."""

    def __init__(self, answer: Callable[[str, str, bytes], tuple[int, dict, bytes]]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, dict, bytes]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append((self.command, self.path, dict(self.headers), body))
                status, headers, content = fake.answer(self.command, self.path, body)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def fake_helpdesk():
    started: list[FakeHelpdesk] = []

    def start(answer) -> FakeHelpdesk:
        server = FakeHelpdesk(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
