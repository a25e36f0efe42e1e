"""The demo organisation: a software company of 25 people, two departments and five teams.

Loaded by ``manage.py load_demo`` (``make demo`` runs it). Idempotent: a second run finds what the
first created and adds only what is missing. Every demo login uses the password ``demo``, which is
why the command refuses to run with DEBUG off. Later features extend this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from okrapp.demo_logins import DEMO_PASSWORD
from okrapp.models import CompanyRole, Membership, Organisation, Team, TeamMembership, TeamRole, User


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    title: str
    role: str = CompanyRole.EMPLOYEE
    teams: tuple[tuple[str, str], ...] = ()


ORGANISATION = {"slug": "northwind", "name": "Northwind Software", "time_zone": "Europe/London"}

# (name, parent name, mission)
TEAMS: list[tuple[str, str | None, str]] = [
    ("Product & Engineering", None, "Build the product customers love to pay for"),
    ("Go-to-Market", None, "Win and keep the customers the product deserves"),
    ("Checkout", "Product & Engineering", "Make paying the easiest step"),
    ("Platform", "Product & Engineering", "Fast, reliable foundations for every team"),
    ("Mobile App", "Product & Engineering", "The product in every pocket"),
    ("Growth", "Go-to-Market", "Turn visitors into happy customers"),
    ("Customer Success", "Go-to-Market", "Customers who stay and grow with us"),
]

LEAD, MEMBER, GUEST = TeamRole.LEAD, TeamRole.MEMBER, TeamRole.GUEST

PEOPLE: list[DemoPerson] = [
    # One login per role, named by the role.
    DemoPerson("admin@example.com", "Ada Morgan", "Operations Manager", CompanyRole.ADMIN),
    DemoPerson("leadership@example.com", "Leo Hart", "Chief Executive Officer", CompanyRole.LEADERSHIP),
    DemoPerson("lead@example.com", "Priya Nair", "Product Owner, Checkout", teams=(("Checkout", LEAD),)),
    DemoPerson("member@example.com", "Sam Okafor", "Software Engineer", teams=(("Checkout", MEMBER),)),
    DemoPerson("guest@example.com", "Gina Russo", "Freelance UX Designer", teams=(("Checkout", GUEST),)),
    # The rest of the company.
    DemoPerson(
        "maya.lindqvist@example.com",
        "Maya Lindqvist",
        "Chief Technology Officer",
        CompanyRole.LEADERSHIP,
        teams=(("Product & Engineering", LEAD),),
    ),
    DemoPerson(
        "tom.becker@example.com",
        "Tom Becker",
        "VP Sales & Marketing",
        CompanyRole.LEADERSHIP,
        teams=(("Go-to-Market", LEAD),),
    ),
    DemoPerson("omar.haddad@example.com", "Omar Haddad", "Software Engineer", teams=(("Checkout", MEMBER),)),
    DemoPerson("zoe.kim@example.com", "Zoe Kim", "QA Engineer", teams=(("Checkout", MEMBER),)),
    DemoPerson("jonas.weber@example.com", "Jonas Weber", "Engineering Lead, Platform", teams=(("Platform", LEAD),)),
    DemoPerson("aiko.tanaka@example.com", "Aiko Tanaka", "Site Reliability Engineer", teams=(("Platform", MEMBER),)),
    DemoPerson("ben.carter@example.com", "Ben Carter", "Backend Engineer", teams=(("Platform", MEMBER),)),
    DemoPerson(
        "chloe.martin@example.com",
        "Chloé Martin",
        "Data Engineer",
        teams=(("Platform", MEMBER), ("Growth", GUEST)),
    ),
    DemoPerson("rafael.costa@example.com", "Rafael Costa", "Product Owner, Mobile", teams=(("Mobile App", LEAD),)),
    DemoPerson("ines.duarte@example.com", "Inês Duarte", "iOS Engineer", teams=(("Mobile App", MEMBER),)),
    DemoPerson("kofi.mensah@example.com", "Kofi Mensah", "Android Engineer", teams=(("Mobile App", MEMBER),)),
    DemoPerson("lena.fischer@example.com", "Lena Fischer", "Product Designer", teams=(("Mobile App", MEMBER),)),
    DemoPerson("hannah.schulz@example.com", "Hannah Schulz", "Head of Growth", teams=(("Growth", LEAD),)),
    DemoPerson("diego.alvarez@example.com", "Diego Alvarez", "Growth Marketer", teams=(("Growth", MEMBER),)),
    DemoPerson("fatima.zahra@example.com", "Fatima Zahra", "Content Lead", teams=(("Growth", MEMBER),)),
    DemoPerson("noah.williams@example.com", "Noah Williams", "Account Executive", teams=(("Growth", MEMBER),)),
    DemoPerson(
        "elena.rossi@example.com", "Elena Rossi", "Head of Customer Success", teams=(("Customer Success", LEAD),)
    ),
    DemoPerson(
        "marcus.johnson@example.com",
        "Marcus Johnson",
        "Customer Success Manager",
        teams=(("Customer Success", MEMBER),),
    ),
    DemoPerson("sofia.petrova@example.com", "Sofia Petrova", "Support Engineer", teams=(("Customer Success", MEMBER),)),
    DemoPerson(
        "yusuf.demir@example.com", "Yusuf Demir", "Onboarding Specialist", teams=(("Customer Success", MEMBER),)
    ),
]


@dataclass(frozen=True)
class DemoResult:
    organisation: Organisation
    created_people: int
    created_teams: int


@transaction.atomic
def load_demo() -> DemoResult:
    organisation, _ = Organisation.objects.get_or_create(
        slug=ORGANISATION["slug"],
        defaults={"name": ORGANISATION["name"], "time_zone": ORGANISATION["time_zone"]},
    )
    teams: dict[str, Team] = {}
    created_teams = 0
    for name, parent_name, mission in TEAMS:
        team, created = Team.objects.get_or_create(
            organisation=organisation,
            name=name,
            defaults={"parent": teams.get(parent_name) if parent_name else None, "mission": mission},
        )
        teams[name] = team
        created_teams += created

    created_people = 0
    hashed = make_password(DEMO_PASSWORD)  # once: hashing is slow by design, and the demo has many people
    for person in PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User.objects.create_user(email=person.email, full_name=person.name)
            user.password = hashed
            user.save(update_fields=["password"])
            created_people += 1
        membership, _ = Membership.objects.get_or_create(
            user=user, defaults={"organisation": organisation, "role": person.role, "job_title": person.title}
        )
        for team_name, team_role in person.teams:
            TeamMembership.objects.get_or_create(
                team=teams[team_name], membership=membership, defaults={"role": team_role}
            )
    return DemoResult(organisation=organisation, created_people=created_people, created_teams=created_teams)
