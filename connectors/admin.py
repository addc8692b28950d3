"""Configuring helpdesk sources, and the bodies they sent: the ones that cannot be mapped are
listed for a manager to fix the mapping and replay."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .generic import PATH_NAMES
from .models import Cursor, Mapping, Payload, PayloadState, Source
from .services import payloads_replay


class SourceForm(forms.ModelForm):
    # Write-only: what is typed is kept (or only its digest) and never shown again.
    secret = forms.CharField(
        label=gettext_lazy("Webhook secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "The signing secret (Zendesk, Chatwoot, Zammad, generic) or shared secret "
            "(Freshdesk) of the webhook. Leave empty to keep the current one."
        ),
    )
    base_url = forms.URLField(
        label=gettext_lazy("Helpdesk address"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("e.g. https://acme.zendesk.com"),
    )
    token = forms.CharField(
        label=gettext_lazy("API token (write only)"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "To pull exports (Zendesk, Freshdesk) or post survey links (Chatwoot). "
            "Leave empty to keep the current one."
        ),
    )

    class Meta:
        model = Source
        fields = [
            "name", "slug", "kind", "is_active", "id_prefix", "default_reason", "base_url",
            "api_user", "account", "pull_from", "field_paths",
        ]  # fmt: skip

    def clean_field_paths(self):
        paths = self.cleaned_data["field_paths"] or {}
        if not isinstance(paths, dict):
            raise forms.ValidationError(_('Give an object such as {"ticket_id": "data.id"}.'))
        unknown = sorted(set(paths) - set(PATH_NAMES))
        if unknown:
            raise forms.ValidationError(
                _("Unknown fields: %(unknown)s. Known: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(PATH_NAMES)}
            )
        if any(not isinstance(v, str) or not v for v in paths.values()):
            raise forms.ValidationError(_("Each path is a non-empty text such as data.ticket.id."))
        return paths


class MappingInline(admin.TabularInline):
    model = Mapping
    extra = 1


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ["name", "kind", "slug", "is_active", "secret_set_at", "waiting", "failed"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["webhook_url", "secret_set_at", "token_state", "rate_limited_until"]
    inlines = [MappingInline]

    def get_fields(self, request, obj=None):
        fields = list(SourceForm.Meta.fields)
        fields[5:5] = ["secret", "token"]
        return fields + (self.readonly_fields if obj else [])

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("secret"):
            obj.secret_set(form.cleaned_data["secret"])
        if form.cleaned_data.get("token"):
            obj.api_token = form.cleaned_data["token"]
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("webhook address"))
    def webhook_url(self, obj: Source) -> str:
        return settings.SITE_URL + reverse("connector-webhook", args=[obj.slug])

    @admin.display(description=gettext_lazy("API token"))
    def token_state(self, obj: Source) -> str:
        return _("set") if obj.api_token else _("not set")

    @admin.display(description=gettext_lazy("waiting"))
    def waiting(self, obj: Source) -> int:
        return obj.payloads.filter(state=PayloadState.PENDING).count()

    @admin.display(description=gettext_lazy("cannot be mapped"))
    def failed(self, obj: Source) -> int:
        return obj.payloads.filter(state=PayloadState.FAILED).count()


@admin.register(Payload)
class PayloadAdmin(admin.ModelAdmin):
    list_display = ["received_at", "source", "origin", "state", "short_reason", "attempts"]
    list_filter = ["state", "source", "origin"]
    search_fields = ["delivery_id", "reason"]
    date_hierarchy = "received_at"
    list_select_related = ["source"]
    actions = ["replay"]
    show_full_result_count = False
    readonly_fields = [
        "source", "delivery_id", "digest", "origin", "received_at", "state", "reason",
        "available_at", "attempts", "processed_at", "body",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("why"))
    def short_reason(self, obj: Payload) -> str:
        return obj.reason[:120]

    @admin.action(description=gettext_lazy("Process the selected bodies again"))
    def replay(self, request, queryset):
        count = payloads_replay(queryset)
        message = ngettext("%(count)d body queued again.", "%(count)d bodies queued again.", count)
        self.message_user(request, message % {"count": count})


@admin.register(Cursor)
class CursorAdmin(admin.ModelAdmin):
    list_display = ["source", "stream", "value", "updated_at"]
    list_filter = ["source"]
