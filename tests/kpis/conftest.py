"""The API personas (who is calling) shared with the tickets tests."""

from tests.tickets.conftest import (  # noqa: F401
    agent,
    anonymous,
    integration,
    integration_token,
    outsider,
    quality_manager,
    staff,
    token_client,
)
