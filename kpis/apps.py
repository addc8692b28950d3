from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        from .registry import kpis_discover

        # Every module of kpis.queries registers the KPIs it declares.
        kpis_discover()

        # Keep the per-day rollups exact: every write marks the days it may change.
        from celery.signals import worker_ready
        from django.db.models import signals as model_signals

        from surveys.models import AgentRating, RepeatCause, Response
        from tickets import signals
        from tickets.models import Contact, Ticket

        from . import stored_settings
        from .rollups import marks

        # Say once, as a worker starts, when the stored facts are not those of the settings
        # (config/wsgi.py does the same for a web process).
        worker_ready.connect(
            stored_settings.stored_settings_announce, dispatch_uid="kpis_stored_settings"
        )

        signals.history_changed.connect(marks.history_changed, dispatch_uid="kpis_rollups")
        for model, saving, saved in (
            (Contact, marks.contact_saving, marks.contact_saved),
            (Ticket, marks.ticket_saving, marks.ticket_saved),
            (Response, marks.answer_saving, marks.answer_saved),
            (AgentRating, marks.answer_saving, marks.answer_saved),
            (RepeatCause, marks.answer_saving, marks.answer_saved),
        ):
            uid = f"kpis_rollups_{model.__name__}"
            model_signals.pre_save.connect(saving, sender=model, dispatch_uid=uid)
            model_signals.post_save.connect(saved, sender=model, dispatch_uid=uid)
            model_signals.post_delete.connect(saved, sender=model, dispatch_uid=uid)

        from .references import SectorReference, references_forget
        from .targets import ChannelTarget, targets_forget

        model_signals.pre_save.connect(
            marks.target_saving, sender=ChannelTarget, dispatch_uid="kpis_rollups_targets"
        )
        for signal in (model_signals.post_save, model_signals.post_delete):
            signal.connect(targets_forget, sender=ChannelTarget, dispatch_uid="kpis_targets")
            signal.connect(
                marks.target_saved, sender=ChannelTarget, dispatch_uid="kpis_rollups_targets"
            )
            signal.connect(
                references_forget, sender=SectorReference, dispatch_uid="kpis_references"
            )
