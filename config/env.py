"""Reading the environment strictly, and refusing a half-configured production start.

django-environ parses the values; this layer adds what it lacks:
- booleans are strict (as healthchecks' `envbool`): `SECURE_COOKIES=treu` must stop the start,
  not quietly turn a guard off;
- every problem is collected instead of raised on the spot, so that one start names them all,
  rather than one per attempt.

`settings.py` reads every variable through `env`, adds what it finds wrong with `env.problem()`,
and calls `env.raise_problems()` at its end.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.http.request import split_domain_port, validate_host

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")
# Values never echoed back in a message: they may be secrets.
_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "KEY")
# The placeholders of `.env.example` and of the README.
EXAMPLE_SECRETS = frozenset({"change-me", "insecure-development-key"})


class Env(environ.Env):
    """django-environ's reader with strict booleans and collected problems."""

    def __init__(self, **scheme) -> None:
        super().__init__(**scheme)
        self.problems: list[str] = []

    def bool(self, var: str, default=environ.Env.NOTSET) -> bool:
        raw = self.ENVIRON.get(var, "").strip().lower()
        if raw in TRUE:
            return True
        if raw in FALSE:
            return False
        if raw == "" and default is not self.NOTSET:
            return default
        shown = f"={self.ENVIRON[var]!r}" if var in self.ENVIRON else " is not set"
        self.problem(f"{var}{shown}: expected 1 or 0 (also true/false, yes/no, on/off).")
        return False if default is self.NOTSET else default

    @classmethod
    def parse_value(cls, value, cast):
        # Booleans reached another way (`env("X", cast=bool)`, a list of booleans) are strict too.
        if cast is bool and isinstance(value, str) and value.strip().lower() not in TRUE + FALSE:
            raise ValueError("expected 1 or 0 (also true/false, yes/no, on/off).")
        return super().parse_value(value, cast)

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ImproperlyConfigured:
            self.problem(f"{var} is required.")
        except (ValueError, TypeError) as exc:
            self.problem(f"{var}{self._shown(var)} cannot be read: {exc}")
        return None if default is self.NOTSET else default

    def db_url(self, var="DATABASE_URL", default=environ.Env.NOTSET, engine=None) -> dict:
        try:
            return super().db_url(var, default=default, engine=engine)
        except (ValueError, KeyError, ImproperlyConfigured) as exc:
            self.problem(f"{var} is not a database URL that Ecoute knows: {exc}")
            return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}

    db = db_url

    def secret(self, name: str, default: str | None = None) -> str | None:
        """NAME, or the content of the file named by NAME_FILE (Docker and Kubernetes secrets)."""
        path = self.str(f"{name}_FILE", default="")
        if not path:
            return self.str(name, default=default)
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            self.problem(f"{name}_FILE={path!r} cannot be read: {exc.strerror}.")
            return default

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def raise_problems(self) -> None:
        if self.problems:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            raise ImproperlyConfigured(
                f"Ecoute cannot start with this environment:\n{lines}\n"
                "See README.md, “Settings” and “Production”."
            )

    def _shown(self, var: str) -> str:
        if var not in self.ENVIRON or any(word in var for word in _SECRET_WORDS):
            return ""
        return f"={self.ENVIRON[var]!r}"


def secret_key_problem(key: str) -> str | None:
    """What Django's `check --deploy` calls weak (security.W009), said before anything runs."""
    if (
        key in EXAMPLE_SECRETS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
        or len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
    ):
        return (
            f"SECRET_KEY is weak: it needs at least {SECRET_KEY_MIN_LENGTH} random characters "
            f"(at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones), not an example "
            "value. Make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return None


def site_url_problem(site_url: str, allowed_hosts: list[str]) -> str | None:
    """SITE_URL is where customers' links point: a full http(s) address this site answers to."""
    parts = urlsplit(site_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"SITE_URL={site_url!r} is not an address such as https://ecoute.example.com."
    host, _port = split_domain_port(parts.netloc)
    if not validate_host(host, allowed_hosts):
        return (
            f"SITE_URL's host {parts.hostname!r} is not in ALLOWED_HOSTS: the links sent to "
            "customers would be refused."
        )
    return None
