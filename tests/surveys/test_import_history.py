"""import_history's survey files: answers, agents' ratings and repeat causes."""

from pathlib import Path

import pytest

from surveys.models import SCALES, AgentRating, RepeatCause, Response
from tests.tickets.test_import_history import (
    SURVEY_FILES,
    csv_rows,
    history,
    import_error,
    import_history,
    summary,
)
from tickets.models import Agent, Contact

RESPONSES_HEADER = "response_id,ticket_id,contact_id,kind,score,responded_at,comment\n"
RATINGS_HEADER = "contact_id,agent_id,score,rated_at\n"
REASONS_HEADER = "contact_id,reason_code,answered_at\n"


@pytest.mark.slow
@pytest.mark.django_db
def test_every_reference_answer_rating_and_cause_is_imported_once(reference_dir):
    first = summary(import_history(reference_dir))
    second = summary(import_history(reference_dir))

    assert first["responses.csv"] == (1969, 0, 0, 0)
    assert first["agent_ratings.csv"] == (7211, 0, 0, 0)
    assert first["repeat_reasons.csv"] == (3191, 0, 0, 0)
    for name in ("responses.csv", "agent_ratings.csv", "repeat_reasons.csv"):
        assert second[name][:2] == (0, 0)
    assert (Response.objects.count(), AgentRating.objects.count()) == (1969, 7211)
    assert set(RepeatCause.objects.values_list("reporter", flat=True)) == {"customer"}
    row = csv_rows(reference_dir / "responses.csv")[0]
    response = Response.objects.get(external_id=row["response_id"])
    assert (response.contact.external_id, response.score) == (row["contact_id"], int(row["score"]))
    assert (response.scale_min, response.scale_max) == SCALES[response.kind]
    commented = Response.objects.exclude(comment="").count()
    assert commented == sum(1 for r in csv_rows(reference_dir / "responses.csv") if r["comment"])


@pytest.mark.parametrize(
    ("kind", "score", "scale"),
    [("csat", 0, "CSAT scale (1 to 5)"), ("ces", 8, "CES scale (1 to 7)")],
)
@pytest.mark.django_db
def test_a_score_off_its_scale_among_plain_lines_is_named(tmp_path, kind, score, scale):
    responses = (
        RESPONSES_HEADER
        + "r1,t1,1,nps,10,2024-03-02T10:00:00Z,\n"
        + f"r2,t2,3,{kind},{score},2024-03-03T10:00:00Z,\n"
    )

    message = import_error(history(tmp_path, responses=responses))

    assert f"responses.csv, line 3, field “score”: {score} is off the {scale}" in message
    assert Contact.objects.count() == Response.objects.count() == 0


@pytest.mark.django_db
def test_a_score_off_its_scale_is_named_by_its_line_after_a_multi_line_comment(tmp_path):
    responses = (
        RESPONSES_HEADER
        + 'r1,t1,1,nps,9,2024-03-02T10:00:00Z,"Très bien,\nmerci"\n'
        + "r2,t2,3,csat,6,2024-03-03T10:00:00Z,\n"
    )

    message = import_error(history(tmp_path, responses=responses))

    assert "responses.csv, line 4, field “score”: 6 is off the CSAT scale (1 to 5)" in message
    assert Contact.objects.count() == Response.objects.count() == 0


@pytest.mark.django_db
def test_an_answer_about_an_unknown_contact_stops_the_import(tmp_path):
    responses = RESPONSES_HEADER + "r1,t1,99,nps,9,2024-03-02T10:00:00Z,\n"

    message = import_error(history(tmp_path, responses=responses))

    assert "responses.csv, line 2, field “contact_id”: contact “99”" in message
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_skip_invalid_keeps_the_good_ratings_and_reports_the_rest(tmp_path: Path):
    ratings = (
        RATINGS_HEADER
        + "1,a1,4,2024-03-01T09:10:00Z\n"
        + "99,a1,4,2024-03-01T09:10:00Z\n"
        + "3,a9,0,2024-03-02T09:10:00Z\n"
        + "3,a9,5,2024-03-02T09:10:00Z\n"
    )
    reasons = REASONS_HEADER + "3,because,2024-03-02T11:00:00Z\n3,other,2024-03-02T11:00:00Z\n"
    report = tmp_path / "rejected.csv"
    directory = history(tmp_path, agent_ratings=ratings, repeat_reasons=reasons)

    output = import_history(directory, "--skip-invalid", "--report", str(report))

    assert summary(output)["agent_ratings.csv"] == (2, 0, 0, 2)
    assert summary(output)["repeat_reasons.csv"] == (1, 0, 0, 1)
    assert Agent.objects.filter(external_id="a9").exists()  # an unknown agent is created
    assert sorted((r["file"], r["line"], r["field"]) for r in csv_rows(report)) == [
        ("agent_ratings.csv", "3", "contact_id"),
        ("agent_ratings.csv", "4", "score"),
        ("repeat_reasons.csv", "2", "reason_code"),
    ]


@pytest.mark.django_db
def test_answers_sent_again_update_only_those_that_changed(tmp_path):
    (tmp_path / "first").mkdir()
    import_history(history(tmp_path / "first", **SURVEY_FILES))
    changed = {
        "responses": SURVEY_FILES["responses"].replace("csat,4,", "csat,2,"),
        "agent_ratings": SURVEY_FILES["agent_ratings"].replace("a1,5,", "a1,3,"),
        "repeat_reasons": SURVEY_FILES["repeat_reasons"],
    }
    (tmp_path / "again").mkdir()

    output = summary(import_history(history(tmp_path / "again", **changed)))

    assert output["responses.csv"] == (0, 1, 1, 0)
    assert output["agent_ratings.csv"] == (0, 1, 0, 0)
    assert output["repeat_reasons.csv"] == (0, 0, 1, 0)
    assert Response.objects.get(external_id="r1").score == 2
    assert AgentRating.objects.get().score == 3
