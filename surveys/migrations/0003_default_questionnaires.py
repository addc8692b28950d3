"""Default questionnaires (NPS, CSAT, CES, repeat contact) and two ready-made policies.

The policies are created *inactive*: nothing is asked of real customers until a manager has read
the wording and switched a policy on in the admin (README, "Surveys").
"""

from django.db import migrations

QUESTIONNAIRES = [
    {
        "name": "NPS",
        "kind": "nps",
        "question_fr": (
            "Quelle est la probabilité que vous recommandiez notre service client "
            "à un proche ou à un collègue ?"
        ),
        "question_en": (
            "How likely are you to recommend our customer service to a friend or colleague?"
        ),
    },
    {
        "name": "CSAT",
        "kind": "csat",
        "question_fr": "Êtes-vous satisfait(e) de la réponse apportée à votre demande ?",
        "question_en": "How satisfied are you with the answer to your request?",
    },
    {
        "name": "CES",
        "kind": "ces",
        "question_fr": "A-t-il été facile de faire traiter votre demande ?",
        "question_en": "How easy was it to get your request handled?",
    },
    {
        "name": "Repeat contact",
        "kind": "repeat",
        "question_fr": "Vous nous avez recontactés au sujet de « {reason} » : pourquoi ?",
        "question_en": "You contacted us again about “{reason}”: why?",
        "ask_resolved": False,
        "ask_low_score_reasons": False,
    },
]

LOW_SCORE_REASONS = [
    ("waited_too_long", "J'ai attendu trop longtemps", "I waited too long"),
    ("not_resolved", "Ma demande n'est pas résolue", "My request is not resolved"),
    ("unclear_answer", "La réponse n'était pas claire", "The answer was unclear"),
    ("repeated_myself", "J'ai dû répéter ma demande", "I had to repeat my request"),
    ("unfriendly", "L'accueil n'était pas aimable", "The person I dealt with was not friendly"),
    ("other", "Autre raison", "Another reason"),
]

POLICIES = [
    {
        "name": "Repeat-contact question",
        "trigger": "repeat_contact",
        "questionnaire": "Repeat contact",
        "delay_minutes": 30,
        "position": 0,
    },
    {
        "name": "CSAT after a solved ticket",
        "trigger": "ticket_solved",
        "questionnaire": "CSAT",
        "delay_minutes": 60,
        "position": 10,
    },
]


def create_defaults(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    LowScoreReason = apps.get_model("surveys", "LowScoreReason")
    SendingPolicy = apps.get_model("surveys", "SendingPolicy")
    by_name = {}
    for fields in QUESTIONNAIRES:
        fields = dict(fields)
        name = fields.pop("name")
        questionnaire, created = Questionnaire.objects.get_or_create(name=name, defaults=fields)
        by_name[name] = questionnaire
        if created and questionnaire.kind != "repeat":
            LowScoreReason.objects.bulk_create(
                LowScoreReason(
                    questionnaire=questionnaire,
                    code=code,
                    label_fr=label_fr,
                    label_en=label_en,
                    position=position,
                )
                for position, (code, label_fr, label_en) in enumerate(LOW_SCORE_REASONS)
            )
    for fields in POLICIES:
        fields = dict(fields)
        name = fields.pop("name")
        fields["questionnaire"] = by_name[fields["questionnaire"]]
        SendingPolicy.objects.get_or_create(name=name, defaults={**fields, "is_active": False})


def delete_defaults(apps, schema_editor):
    apps.get_model("surveys", "SendingPolicy").objects.filter(
        name__in=[p["name"] for p in POLICIES], invitation__isnull=True
    ).delete()
    apps.get_model("surveys", "Questionnaire").objects.filter(
        name__in=[q["name"] for q in QUESTIONNAIRES],
        sendingpolicy__isnull=True,
        invitation__isnull=True,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_response_invitation_follow_up")]

    operations = [migrations.RunPython(create_defaults, delete_defaults)]
