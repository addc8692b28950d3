"""Error answers: pages in the site's layout, in the reader's language, with a way back; JSON
under /api/."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def _person(client: Client, **extra) -> User:
    user = User.objects.create_user("someone", password=None, **extra)
    client.force_login(user)
    return user


def _page(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_an_unknown_page_is_a_page_of_the_site_in_french_with_a_way_home(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    page = _page(response)
    assert '<html lang="fr">' in page
    assert "Page introuvable" in page
    assert 'href="/static/css/ecoute.css"' in page  # the site's layout and style
    assert 'href="/"' in page and "Retour à l’accueil" in page  # noqa: RUF001
    assert 'href="/accounts/login/"' in page  # not logged in: a way to log in


def test_an_unknown_page_speaks_english_to_an_english_reader(client):
    page = _page(client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en"))

    assert '<html lang="en">' in page
    assert "Page not found" in page and "Back to the home page" in page


def test_a_page_of_another_role_says_why_and_offers_a_way_back(client):
    user = _person(client)
    AgentFactory(user=user)

    response = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    page = _page(response)
    assert "Access refused" in page
    assert "Only a quality manager may see the dashboard." in page
    assert "Back to the home page" in page
    assert 'href="/accounts/login/?next=/dashboard/"' in page  # log in as someone else
    assert "someone" in page  # the header still shows who is logged in


@pytest.mark.urls("tests.web.urls")
def test_a_crash_is_a_page_of_the_site_without_the_details(client):
    client.raise_request_exception = False

    response = client.get("/broken/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 500
    page = _page(response)
    assert "Something went wrong" in page and "Back to the home page" in page
    assert 'href="/static/css/ecoute.css"' in page
    assert "something broke" not in page and "Traceback" not in page


@pytest.mark.urls("tests.web.urls")
def test_a_crash_on_a_survey_page_keeps_the_customer_layout(client):
    client.raise_request_exception = False

    response = client.get("/s/broken/")

    assert response.status_code == 500
    page = _page(response)
    assert "css/survey.css" in page and "Une erreur est survenue" in page
    assert "site-nav" not in page and "/accounts/login/" not in page


@pytest.mark.urls("tests.web.urls")
def test_the_api_answers_its_errors_in_json(client):
    client.raise_request_exception = False

    crash = client.get("/api/v1/broken/")
    unknown = client.get("/api/v1/no-such-endpoint/")

    assert (crash.status_code, crash["Content-Type"]) == (500, "application/json")
    assert crash.json() == {"detail": "Une erreur est survenue"}
    assert (unknown.status_code, unknown["Content-Type"]) == (404, "application/json")
    assert unknown.json() == {"detail": "Page introuvable"}


def test_the_api_refuses_in_json(client):
    _person(client)

    response = client.post("/api/v1/contacts/", {}, content_type="application/json")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"


def test_a_form_sent_without_its_csrf_token_gets_a_page_saying_what_to_do():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    page = _page(response)
    assert "This form could not be accepted" in page and "reload the page" in page
    assert "CSRF verification failed" not in page


def test_the_favicon_is_linked_and_answers_at_the_root(client):
    page = _page(client.get("/accounts/login/"))

    response = client.get("/favicon.ico")

    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
