"""The OpenAPI schema documents the history API, and the Swagger page works without a CDN."""

import io

import pytest
import yaml
from django.core.management import call_command


def _spectacular(*options: str) -> str:
    out = io.StringIO()
    call_command("spectacular", *options, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load(_spectacular())


def test_the_schema_generates_and_validates_without_warnings():
    # --fail-on-warn: an undocumented shape anywhere in the API is a failure, not a log line.
    schema = yaml.safe_load(_spectacular("--validate", "--fail-on-warn"))

    assert schema["openapi"].startswith("3.")


@pytest.mark.parametrize(
    ("path", "item"), [("contacts", "ContactInput"), ("tickets", "TicketInput")]
)
def test_each_endpoint_documents_a_body_of_one_object_or_a_list(schema, path, item):
    post = schema["paths"][f"/api/v1/{path}/"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    batch = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]

    ref = {"$ref": f"#/components/schemas/{item}"}
    assert batch["oneOf"] == [ref, {"type": "array", "items": ref, "maxItems": 1000}]
    assert {"200", "201", "400"} <= set(post["responses"])
    assert post["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorsOutput"
    }
    assert {"tokenAuth": []} in post["security"]


def test_the_token_scheme_is_bearer(schema):
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_contact_fields_are_named_like_the_reference_csv(schema):
    fields = schema["components"]["schemas"]["ContactInput"]["properties"]

    assert set(fields) >= {
        "contact_id", "ticket_id", "customer_id", "channel", "reason", "agent_id", "team",
        "direction", "started_at", "answered_at", "ended_at", "handle_seconds", "do_not_survey",
    }  # fmt: skip
    assert set(schema["components"]["schemas"]["ContactInput"]["required"]) == {
        "contact_id", "customer_id", "channel", "reason", "direction", "started_at",
    }  # fmt: skip


@pytest.mark.django_db
def test_the_docs_page_loads_from_our_own_static_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "drf_spectacular_sidecar" in page
    assert "cdn" not in page.lower()


@pytest.mark.django_db
def test_the_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "/api/v1/contacts/" in response.json()["paths"]
