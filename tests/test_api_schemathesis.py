"""schemathesis on the project's own OpenAPI schema, against the test server: every operation,
the examples, fuzzing and stateful phases (the schema's links), a fixed seed and a bounded
number of examples (schemathesis.toml). Every check: no server error, no undocumented
status, no body or header the schema does not describe, schema-valid input accepted and
invalid input refused."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import pytest
from django.contrib.auth.models import User

from surveys.models import Invitation, InvitationStatus
from tests.factories import ContactFactory
from tests.surveys.factories import InvitationFactory
from tickets.models import Contact
from tickets.tokens import TokenScope, api_token_create

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# The coverage phase is left to runs by hand (README): it tries every boundary of every
# parameter, about 950 requests whatever max-examples says, which takes the suite past two
# minutes on two cores.
PHASES = "examples,fuzzing,stateful"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_schemathesis_finds_nothing_the_schema_does_not_say(live_server, settings):
    # Thousands of requests from one address and one token: the abuse limits are not tested here.
    for name in ("API_RATE_LIMIT", "RATE_LIMIT_API_AUTH_PER_ADDRESS",
                 "RATE_LIMIT_API_AUTH_PER_TOKEN"):  # fmt: skip
        setattr(settings, name, "1000000/m")
    _token, raw = api_token_create(
        name="schemathesis", user=User.objects.create_user("bot"), scopes=TokenScope.values
    )
    # A repeat contact: an agent may give a cause for it, as any valid body may.
    contact = cast(
        Contact,
        ContactFactory(external_id="C-ST", ticket__customer__external_id="CU-ST", is_repeat=True),
    )
    invitation = cast(Invitation, InvitationFactory(
        status=InvitationStatus.PENDING, sent_at=None, expires_at=None, delivery="link",
        contact__ticket__external_id="T-ST",
    ))  # fmt: skip
    env = {
        **os.environ,
        "ECOUTE_TOKEN": raw,
        "ECOUTE_CUSTOMER": contact.customer.external_id,
        "ECOUTE_CONTACT": contact.external_id,
        "ECOUTE_INVITATION": str(invitation.pk),
        "ECOUTE_TICKET": "T-ST",
    }

    started = time.monotonic()
    # Our own virtualenv's schemathesis, with our own arguments.
    run = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(ROOT / "schemathesis.toml"), "--no-color",
         "run", "--checks", "all", "--phases", PHASES, f"{live_server.url}/api/schema/"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if os.environ.get("SCHEMATHESIS_OUTPUT"):  # keep the whole report, for reading it
        Path(os.environ["SCHEMATHESIS_OUTPUT"]).write_text(run.stdout + run.stderr)

    summary = run.stdout[run.stdout.rfind("SUMMARY") :]
    tested = re.search(r"Tested: (\d+)", summary)
    cases = re.search(r"(\d+) generated", summary)
    print(  # the run's figures, in the test's output (pytest -s, or -rP)
        f"schemathesis: {tested and tested.group(1)} operations, "
        f"{cases and cases.group(1)} test cases, {elapsed:.1f} s"
    )
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-2000:]
    assert tested and int(tested.group(1)) == 10  # the staffing plan is the tenth
