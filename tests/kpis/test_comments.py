"""The comments view: answers with a comment, filtered, searched in French and English."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from surveys.models import Response
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

MARCH = "from=2024-03-01&to=2024-03-31"
COMMENTS = [
    ("nps", 2, "Livraisons toujours en retard, colis abîmé", "delivery"),
    ("csat", 5, "The agent answered quickly and kindly", "billing"),
    ("csat", 1, "Nobody called me back about my invoice", "billing"),
    ("ces", 7, "", "billing"),
]


@pytest.fixture
def answers():
    for i, (kind, score, comment, reason) in enumerate(COMMENTS):
        contact = ContactFactory(started_at=datetime(2024, 3, 2 + i, tzinfo=UTC), reason=reason)
        scale = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[kind]
        Response.objects.create(
            contact=contact, ticket=contact.ticket, kind=kind, score=score, scale_min=scale[0],
            scale_max=scale[1], responded_at=datetime(2024, 3, 2 + i, 12, tzinfo=UTC),
            comment=comment,
        )  # fmt: skip


def comments(client, query: str = "") -> list[str]:
    response = client.get(f"/dashboard/comments/?{MARCH}&{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    index = [c.key for c in response.context["columns"]].index("comment")
    return [row[index][1] for row in response.context["rows"]]


def test_only_answers_with_a_comment_newest_first(manager, answers):
    assert comments(manager) == [c for _k, _s, c, _r in reversed(COMMENTS) if c]


def test_comments_filter_by_score_band_kind_and_reason(manager, answers):
    assert comments(manager, "band=low") == [COMMENTS[2][2], COMMENTS[0][2]]
    assert comments(manager, "kind=csat&band=high") == [COMMENTS[1][2]]
    assert comments(manager, "reason=delivery") == [COMMENTS[0][2]]


def test_a_word_finds_the_comments_holding_it(manager, answers):
    assert comments(manager, "q=invoice") == [COMMENTS[2][2]]
    assert comments(manager, "q=retard") == [COMMENTS[0][2]]


def test_postgresql_searches_french_and_english_words_by_their_stem(postgres, manager, answers):
    # "livraison" is the stem of "Livraisons", "quick" of "quickly": no substring matches them.
    assert comments(manager, "q=livraison") == [COMMENTS[0][2]]
    assert comments(manager, "q=quick") == [COMMENTS[1][2]]
    assert comments(manager, "q=%22called+me+back%22") == [COMMENTS[2][2]]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'response_comment_search'"
        )
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "'french'" in definition and "'english'" in definition
