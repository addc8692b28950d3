from django.contrib import admin

from .models import AgentState, Invoice, TeamWorkforce


@admin.register(TeamWorkforce)
class TeamWorkforceAdmin(admin.ModelAdmin):
    list_display = [
        "team",
        "occupancy_low_pct",
        "occupancy_high_pct",
        "cost_per_agent_hour",
        "outsourced",
        "price_per_contact",
    ]
    list_editable = ["occupancy_low_pct", "occupancy_high_pct"]
    autocomplete_fields = ["team"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["team", "month", "contacts"]
    list_filter = ["team"]
    autocomplete_fields = ["team"]


@admin.register(AgentState)
class AgentStateAdmin(admin.ModelAdmin):
    """Read only: states come from the helpdesk (import, API), corrected there."""

    list_display = ["agent", "state", "started_at", "ended_at"]
    list_filter = ["state"]
    date_hierarchy = "started_at"
    search_fields = ["agent__external_id", "agent__name"]
    list_select_related = ["agent"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
