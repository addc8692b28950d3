from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import Agent, Contact, ContactReason, Customer, Team, Ticket
from .tokens import ApiToken, TokenScope, api_tokens_revoke


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"),
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("What the token may do; nothing else is allowed."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "user", "scopes"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = [
        "name", "hint", "user", "scope_list", "created_at", "last_used_at", "revoked_at",
    ]  # fmt: skip
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "hint", "user__username"]
    readonly_fields = ["hint", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        fields = ["name", "user", "scopes"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    @admin.display(description=gettext_lazy("scopes"))
    def scope_list(self, obj: ApiToken) -> str:
        labels = dict(TokenScope.choices)
        return ", ".join(str(labels.get(scope, scope)) for scope in obj.scopes) or "-"

    def get_readonly_fields(self, request, obj=None):
        # A token changes owner by being revoked and replaced, never by an edit.
        return [] if obj is None else [*self.readonly_fields, "user"]

    def save_model(self, request, obj, form, change):
        if not change:
            # Kept on the instance for response_add only: never in a message, a cookie or the
            # session, where it would outlive this one page.
            obj.raw_secret = obj.set_new_secret()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "raw_secret": obj.raw_secret,
            "title": _("Token created"),
        }
        # Admin views are never_cache: the page is not kept by the browser either.
        return TemplateResponse(request, "admin/tickets/apitoken/created.html", context)

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = api_tokens_revoke(queryset)
        message = ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
        self.message_user(request, message % {"count": count})


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "lead_email"]
    search_fields = ["external_id", "name", "lead_email"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "team", "user"]
    list_filter = ["team"]
    search_fields = ["external_id", "name", "email", "user__username"]
    list_select_related = ["team", "user"]
    autocomplete_fields = ["team", "user"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "email", "phone", "language", "opted_out_at"]
    list_filter = ["language", ("opted_out_at", admin.EmptyFieldListFilter)]
    search_fields = ["external_id", "email", "phone"]


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["external_id", "channel", "direction", "agent", "started_at", "is_repeat"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "external_id", "customer", "reason", "priority", "created_at", "solved_at",
        "inbound_count", "recontact_in_window",
    ]  # fmt: skip
    list_filter = ["priority", "reason", ("solved_at", admin.EmptyFieldListFilter)]
    search_fields = ["external_id", "customer__external_id"]
    date_hierarchy = "created_at"
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    readonly_fields = ["inbound_count", "first_inbound_contact", "recontact_in_window"]
    inlines = [ContactInline]
    # Counting millions of rows on every page costs more than it tells.
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "external_id", "ticket", "customer", "channel", "reason", "direction", "agent",
        "started_at", "is_repeat",
    ]  # fmt: skip
    list_filter = ["channel", "direction", "is_repeat", "followed_in_window", "team"]
    search_fields = ["external_id", "ticket__external_id", "customer__external_id"]
    date_hierarchy = "started_at"
    list_select_related = ["ticket", "customer", "agent"]
    raw_id_fields = ["ticket", "customer", "agent", "team"]
    readonly_fields = ["previous_contact", "is_repeat", "followed_in_window"]
    show_full_result_count = False


@admin.register(ContactReason)
class ContactReasonAdmin(admin.ModelAdmin):
    """Name the reasons the history brings: the code stays in the API, people read the label."""

    list_display = ["code", "label_fr", "label_en", "active"]
    list_editable = ["label_fr", "label_en", "active"]
    list_filter = ["active"]
    search_fields = ["code", "label_fr", "label_en"]

    def get_readonly_fields(self, request, obj=None):
        # The code is what the history carries: renaming it would orphan its contacts.
        return ["code"] if obj is not None else []
