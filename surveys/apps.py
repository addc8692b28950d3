from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from django.db.models import signals as model_signals

        from tickets.importing import fingerprints_forget, history_file_register

        # Listen to what tickets announces (decisions of who is asked, and when).
        from . import receivers  # noqa: F401
        from .signals import response_recorded
        from .webhooks import on_response_recorded

        # Each new response, POSTed signed to the helpdesk when RESPONSE_WEBHOOK_URL is set.
        response_recorded.connect(on_response_recorded, dispatch_uid="surveys.webhook")
        from .importing import HISTORY_FILES

        # Answers, agents' ratings and repeat causes in a history directory (import_history).
        for history_file in HISTORY_FILES:
            history_file_register(history_file)
        # A row those files hold, written by anything else: the next import reads them again.
        from .models import AgentRating, RepeatCause, Response

        for model in (Response, AgentRating, RepeatCause):
            for signal in (model_signals.post_save, model_signals.post_delete):
                signal.connect(
                    fingerprints_forget, sender=model, dispatch_uid=f"surveys_fingerprints_{model}"
                )
        from tickets.personal_data import personal_data_register

        from .personal_data import HOLDERS

        # What surveys hold about a customer, in their export and their erasure.
        for holder in HOLDERS:
            personal_data_register(holder)
