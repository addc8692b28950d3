"""Admin: questionnaires and policies are edited here; invitations and answers are read here."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import preview
from .admin_forms import SendingPolicyForm
from .decisions import policies_in_order
from .models import (
    AgentRating,
    FollowUp,
    Invitation,
    LowScoreReason,
    Questionnaire,
    RepeatCause,
    Response,
    SendingPolicy,
    Trigger,
    WebhookDelivery,
)

LANGUAGES = ("fr", "en")


def _preview_link(questionnaire: Questionnaire | None):
    if questionnaire is None or questionnaire.pk is None:
        return "-"
    url = reverse("admin:surveys_questionnaire_preview", args=[questionnaire.pk])
    return format_html('<a href="{}">{}</a>', url, _("Preview the email and the page"))


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
    readonly_fields = ["preview"]

    @admin.display(description=_("preview"))
    def preview(self, obj: Questionnaire) -> str:
        return _preview_link(obj)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/preview/", view(self.preview_view), name="surveys_questionnaire_preview"
            ),
            path(
                "<int:pk>/preview/email/<str:language>/",
                view(self.preview_email),
                name="surveys_questionnaire_preview_email",
            ),
            path(
                "<int:pk>/preview/page/<str:language>/",
                view(self.preview_page),
                name="surveys_questionnaire_preview_page",
            ),
            *super().get_urls(),
        ]

    def _questionnaire(self, request: HttpRequest, pk: int) -> Questionnaire:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Questionnaire, pk=pk)

    def preview_view(self, request: HttpRequest, pk: int) -> TemplateResponse:
        questionnaire = self._questionnaire(request, pk)
        versions = [
            {
                "language": language,
                "subject": preview.email_preview(questionnaire, language)[0],
                "question": preview.question_text(questionnaire, language),
            }
            for language in LANGUAGES
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": questionnaire,
            "title": _("Preview of “%(name)s”") % {"name": questionnaire.name},
            "versions": versions,
        }
        return TemplateResponse(request, "admin/surveys/questionnaire/preview.html", context)

    def preview_email(self, request: HttpRequest, pk: int, language: str) -> HttpResponse:
        questionnaire = self._questionnaire(request, pk)
        response = HttpResponse(preview.email_preview(questionnaire, _language(language))[1])
        # The email's HTML carries its styles inline, as mail clients need: allowed on this
        # page only (what django-csp's csp_replace decorator sets).
        response._csp_replace = {"style-src": ["'unsafe-inline'"]}  # type: ignore[attr-defined]
        return response

    def preview_page(self, request: HttpRequest, pk: int, language: str) -> HttpResponse:
        questionnaire = self._questionnaire(request, pk)
        return HttpResponse(preview.page_preview(questionnaire, _language(language)))


def _language(code: str) -> str:
    return code if code in LANGUAGES else LANGUAGES[0]


@admin.register(SendingPolicy)
class SendingPolicyAdmin(admin.ModelAdmin):
    form = SendingPolicyForm
    change_list_template = "admin/surveys/sendingpolicy/change_list.html"
    readonly_fields = ["preview"]
    list_display = [
        "name", "is_active", "trigger", "questionnaire", "delivery", "delay_minutes",
        "sampling_rate", "throttle_days", "position",
    ]  # fmt: skip
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "trigger", "delivery"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "position", "questionnaire", "preview"]}),
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
                    "no_quiet_hours",
                    "quiet_start",
                    "quiet_end",
                    "reminder_after_days",
                    "expire_after_days",
                ]
            },
        ),
    ]

    @admin.display(description=_("preview"))
    def preview(self, obj: SendingPolicy) -> str:
        return _preview_link(obj.questionnaire if obj.pk else None)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {**(extra_context or {}), "precedence": policy_precedence()}
        )


def policy_precedence() -> list[dict]:
    """For each kind of event, the active policies in the order they are tried: the first that
    covers the contact or ticket (channel, reason, team) is the one used."""
    active = list(SendingPolicy.objects.filter(is_active=True).select_related("questionnaire"))
    events = [
        (_("A repeat contact is handled"), {Trigger.REPEAT_CONTACT, Trigger.CONTACT_HANDLED}),
        (_("Another contact is handled"), {Trigger.CONTACT_HANDLED}),
        (_("A ticket is solved"), {Trigger.TICKET_SOLVED}),
    ]
    return [
        {"event": event, "policies": policies_in_order(p for p in active if p.trigger in triggers)}
        for event, triggers in events
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
