"""The survey admin pages open, and the outbox cannot be edited by hand."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from surveys.models import FollowUp
from surveys.services import response_record
from tests.surveys.factories import InvitationFactory, questionnaire

pytestmark = pytest.mark.django_db

MODELS = [
    "questionnaire",
    "sendingpolicy",
    "invitation",
    "response",
    "agentrating",
    "repeatcause",
    "followup",
    "webhookdelivery",
]


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", password=None))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_survey_admin_list_opens(admin_client, model):
    invitation = InvitationFactory(questionnaire=questionnaire("NPS"))
    response_record(invitation, 1)

    response = admin_client.get(reverse(f"admin:surveys_{model}_changelist"))

    assert response.status_code == 200


def test_a_questionnaire_is_edited_with_its_low_score_reasons_inline(admin_client):
    csat = questionnaire("CSAT")

    page = admin_client.get(reverse("admin:surveys_questionnaire_change", args=[csat.pk]))

    assert page.status_code == 200
    assert "low_score_reasons-0-label_fr" in page.content.decode()


def test_invitations_are_read_only_and_filtered_by_why_not_sent(admin_client):
    invitation = InvitationFactory()

    page = admin_client.get(reverse("admin:surveys_invitation_change", args=[invitation.pk]))
    listing = admin_client.get(
        reverse("admin:surveys_invitation_changelist") + "?skip_reason__exact=throttled"
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert listing.status_code == 200
    assert admin_client.get(reverse("admin:surveys_invitation_add")).status_code == 403
    assert not FollowUp.objects.exists()
