"""Delivery: claims, batches, the state machine, never twice, reminders and expiry.

Tasks run in-process (`task.apply`), so these pass on SQLite and on PostgreSQL alike; the
real worker and SMTP server are in test_e2e_delivery.py.
"""

import smtplib
from datetime import timedelta
from email import message_from_string

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from surveys.delivery import claims, sending
from surveys.delivery.claims import UNCONFIRMED
from surveys.models import Invitation, InvitationStatus, InvitationToken, TokenPurpose
from surveys.tasks import invitations_send_batch
from surveys.tokens import token_resolve
from tests.surveys.factories import InvitationFactory, PolicyFactory

pytestmark = pytest.mark.django_db


def pending(**kwargs) -> Invitation:
    """A due, unsent email invitation."""
    kwargs.setdefault("send_after", timezone.now() - timedelta(minutes=1))
    return InvitationFactory(
        status=InvitationStatus.PENDING, sent_at=None, expires_at=None, **kwargs
    )


class Queue:
    """Stands in for the broker: records each queued batch."""

    def __init__(self) -> None:
        self.batches: list[tuple[list[int], str, str]] = []

    def __call__(self, ids: list[int], claim: str, kind: str) -> None:
        self.batches.append((ids, claim, kind))

    def run(self) -> None:
        for ids, claim, kind in self.batches:
            invitations_send_batch.apply(args=[ids, claim, kind])


def dispatch(queue: Queue, django_capture_on_commit_callbacks, **kwargs) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return claims.invitations_dispatch(queue, **kwargs)


class RefusingBackend(LocmemBackend):
    """Refuses every recipient, as a provider does with a bad address."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({m.to[0]: (550, b"no such user") for m in messages})


class DroppingBackend(LocmemBackend):
    """Sends one message, then the connection drops."""

    def send_messages(self, messages):
        if len(mail.outbox) >= 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_dispatch_claims_due_invitations_in_batches_after_commit(
    settings, django_capture_on_commit_callbacks
):
    settings.INVITATION_BATCH_SIZE = 2
    due = [pending() for _ in range(5)]
    later = pending(send_after=timezone.now() + timedelta(hours=1))
    link = pending(delivery="link")
    queue = Queue()

    queued = dispatch(queue, django_capture_on_commit_callbacks)

    assert queued == 5
    assert [len(ids) for ids, _claim, _kind in queue.batches] == [2, 2, 1]
    assert sorted(i for ids, _c, _k in queue.batches for i in ids) == [i.pk for i in due]
    assert len({claim for _ids, claim, _kind in queue.batches}) == 3
    assert Invitation.objects.filter(status="sending").count() == 5
    later.refresh_from_db()
    link.refresh_from_db()
    assert later.status == link.status == InvitationStatus.PENDING


def test_dispatch_stops_at_the_in_flight_limit(settings, django_capture_on_commit_callbacks):
    settings.INVITATION_BATCH_SIZE = 2
    settings.INVITATION_MAX_IN_FLIGHT = 3
    for _ in range(6):
        pending()
    queue = Queue()

    assert dispatch(queue, django_capture_on_commit_callbacks) == 4
    assert dispatch(queue, django_capture_on_commit_callbacks) == 0


def test_batch_sends_every_invitation_once_and_marks_it_sent(django_capture_on_commit_callbacks):
    policy = PolicyFactory(reminder_after_days=3, expire_after_days=7)
    invitations = [pending(policy=policy) for _ in range(3)]
    queue = Queue()
    dispatch(queue, django_capture_on_commit_callbacks)

    queue.run()

    assert len(mail.outbox) == 3
    for invitation in invitations:
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.SENT
        assert invitation.claim is None
        assert invitation.sent_at is not None
        # Expiry counts from the batch's start: its tokens were issued with it.
        assert abs(invitation.expires_at - invitation.sent_at - timedelta(days=7)).seconds < 60
        assert invitation.reminder_due_at - invitation.sent_at == timedelta(days=3)
    assert InvitationToken.objects.filter(purpose=TokenPurpose.ANSWER).count() == 3
    assert InvitationToken.objects.filter(purpose=TokenPurpose.UNSUBSCRIBE).count() == 3


def test_same_batch_queued_twice_sends_once(django_capture_on_commit_callbacks):
    for _ in range(3):
        pending()
    queue = Queue()
    dispatch(queue, django_capture_on_commit_callbacks)

    queue.run()
    queue.run()

    assert len(mail.outbox) == 3
    assert Invitation.objects.filter(status=InvitationStatus.SENT).count() == 3


def test_a_released_and_reclaimed_row_is_not_sent_by_the_old_batch(
    django_capture_on_commit_callbacks,
):
    invitation = pending()
    old, new = Queue(), Queue()
    dispatch(old, django_capture_on_commit_callbacks)
    claims.claims_release_stale(lease=timedelta(0))  # The old worker looks dead.
    dispatch(new, django_capture_on_commit_callbacks)

    new.run()
    old.run()  # The old queue message finally arrives.

    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


def test_stale_claims_go_back_to_pending_unless_handed_over(django_capture_on_commit_callbacks):
    never_started, in_doubt = pending(), pending()
    dispatch(Queue(), django_capture_on_commit_callbacks)
    # A worker stamped one row as handed over, then was killed before committing "sent".
    Invitation.objects.filter(pk=in_doubt.pk).update(sent_at=timezone.now())

    kept = claims.claims_release_stale(lease=timedelta(seconds=60))
    counts = claims.claims_release_stale(lease=timedelta(0))

    assert kept == {
        "released": 0,
        "unconfirmed": 0,
        "reminders_released": 0,
        "reminders_unconfirmed": 0,
    }
    assert counts["released"] == 1 and counts["unconfirmed"] == 1
    never_started.refresh_from_db()
    in_doubt.refresh_from_db()
    assert never_started.status == InvitationStatus.PENDING
    assert never_started.claim is None
    assert in_doubt.status == InvitationStatus.SENT
    assert in_doubt.last_error == UNCONFIRMED


def test_queue_down_releases_the_claim_at_once(django_capture_on_commit_callbacks):
    invitation = pending()

    def broken_queue(ids, claim, kind):
        raise ConnectionError("Redis is down")

    with pytest.raises(ConnectionError):
        dispatch(broken_queue, django_capture_on_commit_callbacks)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.claim is None


def test_provider_refusal_retries_later_then_fails(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.surveys.test_delivery.RefusingBackend"
    settings.INVITATION_MAX_ATTEMPTS = 2
    invitation = pending()

    queue = Queue()
    dispatch(queue, django_capture_on_commit_callbacks)
    queue.run()

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.attempts == 1
    assert "no such user" in invitation.last_error
    assert invitation.send_after > timezone.now()  # Not before the retry delay.

    queue = Queue()
    dispatch(queue, django_capture_on_commit_callbacks, now=invitation.send_after)
    queue.run()

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.FAILED
    assert invitation.attempts == 2
    assert invitation.sent_at is None


def test_connection_lost_mid_batch_stops_it_for_a_retry(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.surveys.test_delivery.DroppingBackend"
    first, second, third = pending(), pending(), pending()
    queue = Queue()
    dispatch(queue, django_capture_on_commit_callbacks)
    [(ids, claim, kind)] = queue.batches

    with pytest.raises(smtplib.SMTPServerDisconnected):
        sending.batch_send(ids, claim, kind)

    for invitation in (first, second, third):
        invitation.refresh_from_db()
    assert first.status == InvitationStatus.SENT
    assert (second.status, second.attempts) == (InvitationStatus.PENDING, 1)
    # Untouched: still claimed, so the task's retry sends it.
    assert (third.status, str(third.claim)) == (InvitationStatus.SENDING, claim)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sending.batch_send(ids, claim, kind)
    third.refresh_from_db()
    assert third.status == InvitationStatus.SENT
    assert len(mail.outbox) == 2


def test_no_address_fails_without_sending(django_capture_on_commit_callbacks):
    invitation = pending()
    invitation.customer.email = ""
    invitation.customer.save()
    queue = Queue()
    dispatch(queue, django_capture_on_commit_callbacks)

    queue.run()

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.FAILED
    assert mail.outbox == []


def test_email_carries_the_scale_both_parts_and_one_click_unsubscribe(
    django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://ecoute.example.com"
    invitation = pending(language="en")
    queue = Queue()
    dispatch(queue, django_capture_on_commit_callbacks)
    queue.run()

    [message] = mail.outbox
    text = message.body
    html = message.alternatives[0].content
    assert message.to == [invitation.customer.email]
    assert message.subject == "One question about your recent contact with us"
    answer_links = [line.split(": ", 1)[1] for line in text.splitlines() if "?score=" in line]
    assert len(answer_links) == 5  # CSAT, 1 to 5
    for score, link in enumerate(answer_links, start=1):
        assert link.startswith("https://ecoute.example.com/s/")
        assert link.endswith(f"/?score={score}")
        assert f'href="{link}"' in html
        token = link.split("/s/", 1)[1].split("/", 1)[0]
        assert token_resolve(token, TokenPurpose.ANSWER).pk == invitation.pk
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe.endswith("/unsubscribe/")
    assert unsubscribe in text and f'href="{unsubscribe}"' in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsub_token = unsubscribe.split("/s/", 1)[1].split("/", 1)[0]
    assert token_resolve(unsub_token, TokenPurpose.UNSUBSCRIBE).pk == invitation.pk
    assert '<html lang="en">' in html
    assert 'role="presentation"' in html
    assert 'aria-label="Score 1 out of 5 (Very dissatisfied)"' in html
    parsed = message_from_string(message.message().as_string())
    assert parsed["X-Ecoute-Invitation"] == f"{invitation.pk} invitation"


def test_email_is_in_the_invitation_language(django_capture_on_commit_callbacks):
    french, english = pending(language="fr"), pending(language="en")
    queue = Queue()
    dispatch(queue, django_capture_on_commit_callbacks)
    queue.run()

    by_address = {m.to[0]: m for m in mail.outbox}
    fr = by_address[french.customer.email]
    en = by_address[english.customer.email]
    assert fr.subject == "Une question sur votre récent échange avec nous"
    assert "Très insatisfait" in fr.alternatives[0].content
    assert '<html lang="fr">' in fr.alternatives[0].content
    assert french.questionnaire.question_fr in fr.body
    assert english.questionnaire.question_en in en.body
    assert "Very satisfied" in en.body


def _sent_with_reminder_due(**kwargs) -> Invitation:
    now = timezone.now()
    return InvitationFactory(
        status=InvitationStatus.SENT,
        sent_at=now - timedelta(days=4),
        reminder_due_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=3),
        **kwargs,
    )


def test_one_reminder_only_if_not_answered(django_capture_on_commit_callbacks):
    unanswered = _sent_with_reminder_due(language="en")
    answered = _sent_with_reminder_due(answered_at=timezone.now())
    Invitation.objects.filter(pk=answered.pk).update(status=InvitationStatus.ANSWERED)
    queue = Queue()

    with django_capture_on_commit_callbacks(execute=True):
        claims.reminders_dispatch(queue)
    queue.run()
    queue.run()  # Queued twice: still one reminder.
    with django_capture_on_commit_callbacks(execute=True):
        assert claims.reminders_dispatch(Queue()) == 0  # And the next beat finds nothing.

    [message] = mail.outbox
    assert message.to == [unanswered.customer.email]
    assert message.subject.startswith("Reminder:")
    assert "?score=" in message.body
    unanswered.refresh_from_db()
    assert unanswered.reminded_at is not None
    assert unanswered.reminder_due_at is None
    assert unanswered.claim is None
    assert unanswered.status == InvitationStatus.SENT
    # A new token for the reminder: the first message's links keep working too.
    assert unanswered.tokens.filter(purpose=TokenPurpose.ANSWER).count() == 1


def test_expiry_moves_sent_invitations_past_their_date_once():
    now = timezone.now()
    old = InvitationFactory(expires_at=now - timedelta(minutes=1))
    fresh = InvitationFactory(expires_at=now + timedelta(days=1))

    assert claims.invitations_expire() == 1
    assert claims.invitations_expire() == 0

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == InvitationStatus.EXPIRED
    assert fresh.status == InvitationStatus.SENT


def test_serialized_fast_path_is_the_message_the_backend_would_send():
    from surveys.delivery.messages import Links, email_bytes, invitation_email

    for language in ("fr", "en"):
        invitation = pending(language=language)
        message = invitation_email(invitation, Links("answer-token-1", "unsub-token-2"))

        fast = message_from_string(email_bytes(message).decode())
        slow = message_from_string(message.message().as_bytes(linesep="\r\n").decode())

        assert fast["Message-ID"] != slow["Message-ID"]
        assert fast["Date"]
        for header in ("Message-ID", "Date"):
            del fast[header], slow[header]

        def unfolded(message):
            # Headers may be folded at other places; the boundary is random per serialization.
            return [(k, " ".join(v.split())) for k, v in message.items() if k != "Content-Type"]

        assert unfolded(fast) == unfolded(slow)
        fast_parts = [(p.get_content_type(), p.get_payload(decode=True)) for p in fast.walk()]
        slow_parts = [(p.get_content_type(), p.get_payload(decode=True)) for p in slow.walk()]
        assert fast_parts == slow_parts
        assert b"answer-token-1" in fast_parts[1][1] and b"answer-token-1" in fast_parts[2][1]
        assert fast["To"] == invitation.customer.email


def test_stale_reminder_claims_are_released_and_a_stamped_one_is_never_resent(
    django_capture_on_commit_callbacks,
):
    never_started = _sent_with_reminder_due()
    in_doubt = _sent_with_reminder_due()
    with django_capture_on_commit_callbacks(execute=True):
        claims.reminders_dispatch(Queue())
    # A worker stamped one reminder, then was killed before confirming it.
    Invitation.objects.filter(pk=in_doubt.pk).update(reminded_at=timezone.now())

    counts = claims.claims_release_stale(lease=timedelta(0))
    queue = Queue()
    with django_capture_on_commit_callbacks(execute=True):
        claims.reminders_dispatch(queue)
    queue.run()

    assert (counts["reminders_released"], counts["reminders_unconfirmed"]) == (1, 1)
    [message] = mail.outbox
    assert message.to == [never_started.customer.email]
    in_doubt.refresh_from_db()
    assert in_doubt.claim is None and in_doubt.reminder_due_at is None
