"""Settings read strictly: a production start refuses to run half-configured, in one message."""

import re
import runpy
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import Env

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Jx9-Qv_7mZ2pL0aW8sT4nR6yB1cE5fH0gU2iO9dK7jM3vX8zQ1"
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "ecoute.example.com",
    "SITE_URL": "https://ecoute.example.com",
}
# Read by settings.py; cleared so that the developer's own environment does not leak in.
CLEARED = [
    "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "SITE_URL", "TRUSTED_PROXY",
    "SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "RESPONSE_WEBHOOK_URL",
]  # fmt: skip


@pytest.fixture
def load(monkeypatch):
    """Run config/settings.py afresh under the given environment; its namespace, or the error."""
    # No `.env` file: only what the test sets.
    monkeypatch.setattr(Env, "read_env", classmethod(lambda cls, *args, **kwargs: None))

    def load(**environ: str) -> dict:
        for name in CLEARED:
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
            # "found in sys.modules": the point is to run it again, apart from Django's copy.
            return runpy.run_module("config.settings", run_name="settings_under_test")

    return load


def problems(load, **environ: str) -> str:
    with pytest.raises(ImproperlyConfigured) as refused:
        load(**environ)
    return str(refused.value)


def test_a_production_start_with_nothing_set_names_every_missing_setting_at_once(load):
    message = problems(load, DEBUG="0")

    assert "SECRET_KEY" in message
    assert "ALLOWED_HOSTS is required" in message
    assert "SITE_URL is required" in message


@pytest.mark.parametrize(
    "key",
    [
        "change-me",
        "insecure-development-key",
        STRONG_KEY[:49],  # one character short
        "ab" * 40,  # long, but only two different characters
        "django-insecure-" + STRONG_KEY,
    ],
)
def test_a_weak_or_example_secret_key_stops_a_production_start(load, key):
    message = problems(load, **{**PRODUCTION, "SECRET_KEY": key})

    assert "SECRET_KEY is weak" in message
    assert key not in message  # a secret is never echoed


def test_a_complete_production_environment_starts(load):
    settings = load(**PRODUCTION)

    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["ecoute.example.com"]
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")


def test_site_url_must_be_an_address_this_site_answers_to(load):
    assert "is not in ALLOWED_HOSTS" in problems(
        load, **{**PRODUCTION, "SITE_URL": "https://other.example.com"}
    )
    assert "is not an address" in problems(load, **{**PRODUCTION, "SITE_URL": "ecoute.example.com"})


def test_debug_keeps_its_local_defaults(load):
    settings = load(DEBUG="1")

    assert settings["SITE_URL"] == "http://127.0.0.1:8000"
    assert "localhost" in settings["ALLOWED_HOSTS"]
    assert settings["STORAGES"]["staticfiles"]["BACKEND"].startswith("django.")


def _boolean_settings() -> list[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    return sorted(set(re.findall(r'env\.bool\(\s*"([A-Z_]+)"', source)))


def test_every_boolean_setting_refuses_a_typo_and_names_itself(load):
    names = _boolean_settings()
    assert {"DEBUG", "SECURE_COOKIES", "TRUSTED_PROXY", "EMAIL_USE_TLS"} <= set(names)

    message = problems(load, **{**PRODUCTION, **dict.fromkeys(names, "treu")})

    for name in names:
        assert f"{name}='treu': expected 1 or 0" in message


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False)]
)
def test_boolean_settings_read_the_usual_spellings(load, raw, expected):
    assert load(**PRODUCTION, SECURE_COOKIES=raw)["SESSION_COOKIE_SECURE"] is expected


def test_x_forwarded_proto_is_believed_only_when_a_proxy_is_declared(load):
    assert "SECURE_PROXY_SSL_HEADER" not in load(**PRODUCTION)
    trusted = load(**PRODUCTION, TRUSTED_PROXY="1")

    assert trusted["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_the_proxy_header_does_not_make_a_plain_request_secure(client, settings):
    """With gunicorn exposed directly, a client claiming HTTPS is still redirected to it."""
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_behind_a_declared_proxy_its_header_is_believed(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_manage_py_refuses_a_half_configured_production_with_one_message(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ENV_FILE": "/dev/null"}
    env.update(DEBUG="0", SECURE_COOKIES="treu")

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Ecoute cannot start with this environment:")
    for expected in ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "SECURE_COOKIES='treu'"):
        assert expected in result.stderr


def test_a_boolean_read_without_env_bool_is_strict_too(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "treu")
    env = Env()

    assert env("SOME_FLAG", cast=bool, default=False) is False
    assert env.problems == [
        "SOME_FLAG='treu' cannot be read: expected 1 or 0 (also true/false, yes/no, on/off)."
    ]


def _readme_production_settings() -> dict[str, str]:
    """The `.env` that README.md's "Production" section writes, with a fresh secret."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"cat > \.env <<END\n(.*?)\nEND\n", readme, re.S).group(1)
    settings = dict(line.split("=", 1) for line in block.splitlines())
    assert settings["SECRET_KEY"].startswith("$(")  # made on the spot by the reader
    return {**settings, "SECRET_KEY": STRONG_KEY}


def test_check_deploy_is_clean_with_the_readmes_production_settings(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ENV_FILE": "/dev/null"}
    env.update(_readme_production_settings())

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
