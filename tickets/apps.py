from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Ticket history")

    def ready(self) -> None:
        from django.db.models import signals as model_signals

        from . import signals
        from .importing.fingerprints import fingerprints_forget
        from .models import Contact, Ticket
        from .services import Written

        # The history written by anything but an import: the next import reads its files again.
        signals.history_changed.connect(
            fingerprints_forget, sender=Written, dispatch_uid="tickets_fingerprints"
        )
        for model in (Contact, Ticket):
            for signal in (model_signals.post_save, model_signals.post_delete):
                signal.connect(
                    fingerprints_forget, sender=model, dispatch_uid=f"tickets_fingerprints_{model}"
                )

        from .labels import reason_saved
        from .models import ContactReason

        # The labels are cached: an edit in the admin forgets them.
        for signal in (model_signals.post_save, model_signals.post_delete):
            signal.connect(reason_saved, sender=ContactReason, dispatch_uid="tickets_reason_labels")
