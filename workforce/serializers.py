"""The REST API's shapes for agents' states (named like agent_states.csv)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tickets.serializers import (
    AwareDateTimeField,
    StrictCharField,
    StrictChoiceField,
    StrictSerializer,
)

from .models import State
from .records import StateRecord


class StateInputSerializer(StrictSerializer):
    agent_id = StrictCharField(max_length=64, help_text=_("The agent's id in the helpdesk."))
    state = StrictChoiceField(choices=State.choices)
    started_at = AwareDateTimeField()
    ended_at = AwareDateTimeField(
        allow_null=True,
        default=None,
        help_text=_("Empty while the state runs: the agent's next state ends it."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        ended = attrs["ended_at"]
        if ended is not None and ended <= attrs["started_at"]:
            raise serializers.ValidationError({"ended_at": _("ended_at is not after started_at.")})
        return attrs


def state_record(item: dict[str, Any]) -> StateRecord:
    return StateRecord(item["agent_id"], item["state"], item["started_at"], item["ended_at"])


class StatesWrittenOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text=_("States created."))
    updated = serializers.IntegerField(help_text=_("States that existed and changed."))
    unchanged = serializers.IntegerField(help_text=_("States sent again as they were."))
