"""Send the team-lead alerts that could not go out when the answer came in (mail server down).

Run it by hand or from cron; it stops at the first failure so that an outage is seen, and what
was sent before it stays sent.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from surveys.followups import followup_alert_send
from surveys.models import FollowUp


class Command(BaseCommand):
    help = "Send the follow-up alerts to team leads that have not gone out yet."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days", type=int, default=7, help="Only follow-ups raised in the last N days."
        )

    def handle(self, *args, days: int, **options) -> None:
        since = timezone.now() - timedelta(days=days)
        pending = (
            FollowUp.objects.filter(
                alerted_at__isnull=True, handled_at__isnull=True, created_at__gte=since
            )
            .exclude(team__lead_email="")
            .exclude(team__isnull=True)
            .order_by("created_at")
            .values_list("pk", flat=True)
        )
        sent = sum(1 for pk in pending if followup_alert_send(pk))
        self.stdout.write(f"{sent} alert(s) sent.")
