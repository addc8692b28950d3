"""The API personas of tests/tickets, for the agents' states API."""

from tests.tickets.conftest import (  # noqa: F401
    integration,
    integration_token,
    outsider,
    quality_manager,
    staff,
    token_client,
)
