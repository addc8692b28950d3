"""Shapes of the history API: input serializers check one item, output serializers describe answers.

Input and output are separate classes (nothing here is a ModelSerializer): what an integration
sends is named like the reference CSVs and refers to rows by external ids, while the database
speaks in primary keys. A checked item becomes a `tickets.records` record, which is all the
services accept.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import bounds
from .models import Channel, Direction, Priority
from .records import ContactRecord, CustomerRecord, TicketRecord

MAX_BATCH = 1000
_ID = {"max_length": 64}
_OPTIONAL_ID = {"max_length": 64, "allow_null": True, "allow_blank": True, "default": None}


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that says which zone it is in; a naive one is refused, not guessed."""

    default_error_messages = {
        "naive": _(
            "This time has no time zone. Add one, e.g. 2024-03-01T09:00:00Z or "
            "2024-03-01T10:00:00+01:00."
        ),
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)

    def to_internal_value(self, value: Any) -> datetime:
        moment = super().to_internal_value(value)
        problem = bounds.time_problem(moment)
        if problem:
            raise serializers.ValidationError(problem)
        return moment


# DRF's fields take what they can convert: 0 for a text, "5" for a number, "yes" for a boolean.
# The schema promises a type; these keep the promise, so that a client's mistake is an error.


class StrictCharField(serializers.CharField):
    """Text as sent: not trimmed either, as the CSV import does not trim (an id is what the
    helpdesk calls it), and as the schema's `minLength` says."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictSerializer(serializers.Serializer):
    # Refuses fields it does not know: a misspelt optional field would otherwise be lost.

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class ContactInputSerializer(StrictSerializer):
    """One contact, named like contacts.csv; optional customer_* details update the customer."""

    contact_id = StrictCharField(**_ID, help_text=_("The contact's id in the helpdesk."))
    ticket_id = StrictCharField(
        **_OPTIONAL_ID, help_text=_("Its ticket; an unknown ticket is opened by this contact.")
    )
    customer_id = StrictCharField(**_ID)
    channel = StrictChoiceField(choices=Channel.choices)
    reason = StrictCharField(max_length=64, help_text=_("The contact reason."))
    agent_id = StrictCharField(**_OPTIONAL_ID)
    team = StrictCharField(**_OPTIONAL_ID)
    direction = StrictChoiceField(choices=Direction.choices)
    started_at = AwareDateTimeField()
    answered_at = AwareDateTimeField(
        allow_null=True, default=None, help_text=_("Empty for an abandoned call.")
    )
    ended_at = AwareDateTimeField(allow_null=True, default=None)
    handle_seconds = StrictIntegerField(
        min_value=0,
        max_value=bounds.longest_handle(),
        allow_null=True,
        default=None,
        help_text=_("Seconds an agent spent on it, at most HISTORY_MAX_HANDLE_SECONDS."),
    )
    do_not_survey = StrictBooleanField(
        default=False, help_text=_("Never send a survey about this contact.")
    )
    customer_email = StrictEmailField(
        allow_blank=True, default="", help_text=_("Optional; a blank value keeps what is known.")
    )
    customer_name = StrictCharField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text=_("Optional; a blank value keeps what is known."),
    )
    customer_phone = StrictCharField(
        max_length=32,
        allow_blank=True,
        default="",
        help_text=_("Optional; a blank value keeps what is known."),
    )
    customer_language = StrictChoiceField(
        choices=[code for code, _name in settings.LANGUAGES],
        allow_blank=True,
        default="",
        help_text=_("Optional; the language surveys are sent in."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        started, answered, ended = attrs["started_at"], attrs["answered_at"], attrs["ended_at"]
        errors = {}
        if answered is not None and answered < started:
            errors["answered_at"] = _("answered_at is before started_at.")
        if ended is not None and ended < started:
            errors["ended_at"] = _("ended_at is before started_at.")
        elif ended is not None and answered is not None and ended < answered:
            errors["ended_at"] = _("ended_at is before answered_at.")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class TicketInputSerializer(StrictSerializer):
    """One ticket, named like tickets.csv."""

    ticket_id = StrictCharField(**_ID, help_text=_("The ticket's id in the helpdesk."))
    customer_id = StrictCharField(**_ID)
    reason = StrictCharField(max_length=64, help_text=_("The contact reason."))
    priority = StrictChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    created_at = AwareDateTimeField()
    solved_at = AwareDateTimeField(
        allow_null=True, default=None, help_text=_("Empty while the ticket is open.")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["solved_at"] is not None and attrs["solved_at"] < attrs["created_at"]:
            raise serializers.ValidationError({"solved_at": _("solved_at is before created_at.")})
        return attrs


def contact_record(item: dict[str, Any]) -> ContactRecord:
    return ContactRecord(
        external_id=item["contact_id"],
        customer=item["customer_id"],
        channel=item["channel"],
        reason=item["reason"],
        direction=item["direction"],
        started_at=item["started_at"],
        ticket=item["ticket_id"] or None,
        agent=item["agent_id"] or None,
        team=item["team"] or None,
        answered_at=item["answered_at"],
        ended_at=item["ended_at"],
        handle_seconds=item["handle_seconds"],
        do_not_survey=item["do_not_survey"],
    )


def customer_record(item: dict[str, Any]) -> CustomerRecord | None:
    """The customer details a contact carries, or None when it carries none."""
    details = {
        "name": item["customer_name"],
        "email": item["customer_email"],
        "phone": item["customer_phone"],
        "language": item["customer_language"],
    }
    if not any(details.values()):
        return None
    return CustomerRecord(external_id=item["customer_id"], **details)


def ticket_record(item: dict[str, Any]) -> TicketRecord:
    return TicketRecord(
        external_id=item["ticket_id"],
        customer=item["customer_id"],
        reason=item["reason"],
        priority=item["priority"],
        created_at=item["created_at"],
        solved_at=item["solved_at"],
    )


class UpsertResultOutputSerializer(serializers.Serializer):
    """What a batch did, counted by external id (a repeated id counts once)."""

    created = serializers.IntegerField(help_text=_("Rows created."))
    updated = serializers.IntegerField(help_text=_("Rows that existed and changed."))
    unchanged = serializers.IntegerField(help_text=_("Rows that existed and were identical."))
    created_ids = serializers.ListField(child=serializers.CharField())
    updated_ids = serializers.ListField(child=serializers.CharField())


class ErrorOutputSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        allow_null=True,
        help_text=_("Position of the item in the list (0 for a single object); null: the body."),
    )
    field = serializers.CharField(allow_null=True, help_text=_("null: the item as a whole."))
    message = serializers.CharField()


class ErrorsOutputSerializer(serializers.Serializer):
    """Every problem found in the body; nothing was written."""

    errors = ErrorOutputSerializer(many=True)
