from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .tokens import ApiToken, api_tokens_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "hint", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "hint", "user__username"]
    readonly_fields = ["hint", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ["name", "user"] if obj is None else ["name", "user", *self.readonly_fields]

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
