from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Helpdesk connectors")

    def ready(self) -> None:
        # The bodies a customer is named in are part of their personal data (tickets asks
        # the apps above it through a registry, never imports them).
        from tickets.personal_data import personal_data_register

        from .personal_data import HOLDER

        personal_data_register(HOLDER)
