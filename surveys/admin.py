"""Admin: questionnaires and policies are edited here; invitations and answers are read here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    AgentRating,
    FollowUp,
    Invitation,
    LowScoreReason,
    Questionnaire,
    RepeatCause,
    Response,
    SendingPolicy,
    WebhookDelivery,
)


class LowScoreReasonInline(admin.TabularInline):
    model = LowScoreReason
    extra = 1
    fields = ["position", "code", "label_fr", "label_en"]


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "ask_resolved", "ask_low_score_reasons"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "question_fr", "question_en"]
    inlines = [LowScoreReasonInline]


@admin.register(SendingPolicy)
class SendingPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name", "is_active", "trigger", "questionnaire", "delivery", "delay_minutes",
        "sampling_rate", "throttle_days", "position",
    ]  # fmt: skip
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "trigger", "delivery"]
    filter_horizontal = ["teams"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "position", "questionnaire"]}),
        (
            _("What triggers it"),
            {"fields": ["trigger", "channels", "reasons", "teams", "include_outbound"]},
        ),
        (
            _("Whom and when"),
            {
                "fields": [
                    "delivery",
                    "delay_minutes",
                    "sampling_rate",
                    "throttle_days",
                    "quiet_start",
                    "quiet_end",
                    "reminder_after_days",
                    "expire_after_days",
                ]
            },
        ),
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the service itself: readable, not editable by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "customer", "questionnaire", "delivery", "status", "skip_reason", "send_after",
        "sent_at", "answered_at", "agent", "team", "channel",
    ]  # fmt: skip
    list_filter = ["status", "skip_reason", "delivery", "questionnaire", "policy", "channel"]
    search_fields = ["customer__external_id", "contact__external_id", "ticket__external_id"]
    date_hierarchy = "created_at"
    list_select_related = ["customer", "questionnaire", "agent", "team"]
    raw_id_fields = ["customer", "contact", "ticket", "agent", "team"]
    # Deleting an outbox row by hand could send a survey twice or lose why it was skipped.

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "score", "scale_max", "resolved", "responded_at", "contact"]
    list_filter = ["kind", "resolved", "score"]
    search_fields = ["contact__external_id", "ticket__external_id", "comment", "external_id"]
    date_hierarchy = "responded_at"
    raw_id_fields = ["contact", "ticket", "invitation"]
    list_select_related = ["contact"]


@admin.register(AgentRating)
class AgentRatingAdmin(ReadOnlyAdmin):
    list_display = ["contact", "agent", "score", "rated_at"]
    list_filter = ["score"]
    search_fields = ["contact__external_id", "agent__external_id", "agent__name"]
    raw_id_fields = ["contact", "agent"]
    list_select_related = ["contact", "agent"]


@admin.register(RepeatCause)
class RepeatCauseAdmin(ReadOnlyAdmin):
    list_display = ["contact", "reporter", "code", "answered_at"]
    list_filter = ["reporter", "code"]
    search_fields = ["contact__external_id", "comment"]
    raw_id_fields = ["contact", "invitation"]
    list_select_related = ["contact"]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "ticket", "agent", "team", "created_at", "alert_state",
                    "alerted_at", "handled_at"]  # fmt: skip
    list_filter = ["kind", ("handled_at", admin.EmptyFieldListFilter), "alert_state", "team"]
    raw_id_fields = ["response", "repeat_cause", "contact", "ticket", "agent", "team",
                     "handled_by"]  # fmt: skip
    readonly_fields = ["created_at", "alerted_at", "alert_state", "alert_due_at",
                       "alert_attempts", "alert_error"]  # fmt: skip
    list_select_related = ["ticket", "agent", "team"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "response", "state", "created_at", "sent_at", "attempts"]
    list_filter = ["state", "event"]
    search_fields = ["uuid", "last_error"]
    raw_id_fields = ["response"]
