from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # Listen to what tickets announces (decisions of who is asked, and when).
        from . import receivers  # noqa: F401
