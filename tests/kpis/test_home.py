"""The home page, the login page and the base layout."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from tests.factories import ContactFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = User.objects.create_user("manon", password="x-secret-1")
    client.force_login(user)
    return user


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_the_login_page_has_the_form_and_the_language_switcher(client):
    response = client.get(reverse("login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in html and 'name="password"' in html
    assert f'action="{reverse("set_language")}"' in html
    assert 'lang="fr"' in html  # French by default


def test_logging_in_leads_home(client):
    User.objects.create_user("manon", password="x-secret-1")

    response = client.post(reverse("login"), {"username": "manon", "password": "x-secret-1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_home_shows_the_headline_counts(client, member, django_assert_num_queries):
    ticket = TicketFactory(solved_at=None)
    ContactFactory(ticket=ticket, customer=ticket.customer)
    ContactFactory(ticket=ticket, customer=ticket.customer, direction="outbound")

    # Session, user, groups and the user's agent (for the navigation), then one query each for
    # contacts, tickets and survey answers.
    with django_assert_num_queries(7):
        response = client.get(reverse("home"))

    overview = response.context["overview"]
    assert (overview.contacts, overview.inbound, overview.tickets) == (2, 1, 1)
    assert (overview.open_tickets, overview.surveys_answered) == (1, 0)
    assert reverse("api-docs") in response.content.decode()


def test_home_links_to_the_admin_for_staff_only(client, member):
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()

    member.is_staff = True
    member.save()

    assert reverse("admin:index") in client.get(reverse("home")).content.decode()


def test_home_links_to_the_dashboard_for_quality_managers_only(client, member):
    assert reverse("dashboard") not in client.get(reverse("home")).content.decode()

    member.groups.add(Group.objects.get_or_create(name="quality_managers")[0])

    assert reverse("dashboard") in client.get(reverse("home")).content.decode()


def test_home_speaks_english_after_switching(client, member):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Surveys answered" in html


def test_logging_out_goes_back_to_the_login_page(client, member):
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
