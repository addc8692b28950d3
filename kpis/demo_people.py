"""The people of `make demo`: customers with a name and addresses, agents with a name, a team
lead per team (the address the team's alerts go to, and a login), and an agent login per team.

Run before the history is imported for the teams (so that the import's follow-ups alert their
lead) and after it for the customers and agents, which the import creates.
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count

from tickets.models import Agent, Contact, Customer, Team
from tickets.sample_history.profile import TEAMS
from workforce.models import TeamWorkforce

FIRST_NAMES = [
    "Camille", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Louis", "Inès", "Jules", "Emma",
    "Nathan", "Sarah", "Arthur", "Jade", "Paul", "Zoé", "Gabriel", "Alice", "Adam", "Lina",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
]  # fmt: skip
# Agents' names, apart from the customers' so that no agent seems to call themselves.
AGENT_FIRST_NAMES = [
    "Julien", "Sophie", "Thomas", "Claire", "Nicolas", "Julie", "Maxime", "Pauline", "Antoine",
    "Marion", "Romain", "Laura", "Kévin", "Élodie", "Mathieu", "Céline", "Florian", "Audrey",
    "Guillaume", "Émilie", "Sébastien", "Nadia", "Karim", "Amandine",
]  # fmt: skip
AGENT_LAST_NAMES = [
    "Lemaire", "Fontaine", "Chevalier", "Gauthier", "Perrin", "Morel", "Girard", "André",
    "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Faure", "Rousseau", "Lambert", "Bonnet",
    "Dupont", "Renard", "Benali", "Nguyen",
]  # fmt: skip
# One customer in five reads English.
ENGLISH_EVERY = 5


@dataclass
class RoleLogin:
    role: str  # "lead" or "agent"
    team: str
    username: str
    email: str
    created: bool


def teams_with_leads_ensure() -> None:
    """The sample history's teams, each with its lead's address (kept if already set)."""
    for name, _kind, _size in TEAMS:
        team, _created = Team.objects.get_or_create(external_id=name)
        team.name = team.name if team.name and team.name != name else _team_name(name)
        team.lead_email = team.lead_email or _lead_email(name)
        team.save(update_fields=["name", "lead_email"])
        TeamWorkforce.objects.get_or_create(team=team, defaults=_rates(_kind))


def _rates(kind: str) -> dict:
    """The demo's prices: social media outsourced and paid by the contact, others by the hour."""
    if kind == "social":
        return {"outsourced": True, "price_per_contact": Decimal("4.50")}
    return {"cost_per_agent_hour": Decimal(48 if kind in ("expert", "vip") else 36)}


# Names the codes cannot spell (accents, hyphens).
TEAM_NAMES = {
    "bordeaux_ecrit": "Bordeaux Écrit", "back_office": "Back-office",
    "reseaux_sociaux": "Réseaux sociaux",
}  # fmt: skip


def _team_name(external_id: str) -> str:
    """paris_n1 -> Paris N1: people read names, not codes."""
    if external_id in TEAM_NAMES:
        return TEAM_NAMES[external_id]
    return " ".join(
        word.upper() if word in ("n1", "n2", "vip") else word.capitalize()
        for word in external_id.split("_")
    )


def _lead_email(team: str) -> str:
    return f"lead.{team.replace('_', '-')}@example.com"


@transaction.atomic
def customers_details_fill() -> int:
    """A name, an email, a phone and a language for each customer that has no email."""
    customers = list(Customer.objects.filter(email="").only("pk", "external_id"))
    for customer in customers:
        n = customer.pk
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last = LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]
        customer.name = f"{first} {last}"
        customer.email = (
            f"{first}.{last}.{n}@example.com".lower().replace("é", "e").replace("ï", "i")
        )
        customer.phone = f"+33 6 {n % 100:02d} {n // 100 % 100:02d} {n // 10000 % 100:02d} 42"
        customer.language = "en" if n % ENGLISH_EVERY == 0 else "fr"
    Customer.objects.bulk_update(customers, ["name", "email", "phone", "language"], 1000)
    return len(customers)


@transaction.atomic
def agents_name() -> int:
    """A first and last name for each agent that has none (the sample history gives ids only),
    so that pages show people; the agent's number picks them, no two of 168 alike."""
    agents = list(Agent.objects.filter(name="").only("pk"))
    for agent in agents:
        n = agent.pk
        first = AGENT_FIRST_NAMES[n % len(AGENT_FIRST_NAMES)]
        agent.name = f"{first} {AGENT_LAST_NAMES[n * 5 % len(AGENT_LAST_NAMES)]}"
    Agent.objects.bulk_update(agents, ["name"], 1000)
    return len(agents)


@transaction.atomic
def role_logins_ensure(password: str) -> list[RoleLogin]:
    """Per team: its lead's login (by the lead's email) and a login for its busiest agent."""
    logins = []
    for team in Team.objects.exclude(lead_email="").order_by("external_id"):
        slug = team.external_id.replace("_", "-")
        logins.append(_login("lead", team, f"lead-{slug}", team.lead_email, password))
        agent = _busiest_agent(team)
        if agent is not None:
            login = _login("agent", team, f"agent-{slug}", f"agent.{slug}@example.com", password)
            if agent.user_id is None:
                agent.user = User.objects.get(username=login.username)
                agent.save(update_fields=["user"])
            logins.append(login)
    return logins


def _busiest_agent(team: Team) -> Agent | None:
    linked = Agent.objects.filter(team=team, user__username__startswith="agent-").first()
    if linked is not None:
        return linked
    busiest = (
        Contact.objects.filter(team=team, agent__isnull=False, agent__user__isnull=True)
        .values("agent")
        .order_by()
    )
    row = busiest.annotate(n=Count("id")).order_by("-n", "agent").first()
    return Agent.objects.get(pk=row["agent"]) if row else None


def _login(role: str, team: Team, username: str, email: str, password: str) -> RoleLogin:
    user = User.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(username, email, password)
    return RoleLogin(role, team.name or team.external_id, username, email, created)


def demo_password() -> str:
    return secrets.token_urlsafe(9)
