from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        from tickets.importing import history_file_register

        from .importing import HISTORY_FILES

        # agent_states.csv in a history directory (import_history), beside the contacts.
        for history_file in HISTORY_FILES:
            history_file_register(history_file)
