"""factory_boy factories for the organisation model."""

from __future__ import annotations

from datetime import date

import factory

from okrapp.models import CompanyRole, Membership, Organisation, Team, TeamMembership, TeamRole, User

PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = CompanyRole.EMPLOYEE


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    membership = factory.SubFactory(MembershipFactory, organisation=factory.SelfAttribute("..team.organisation"))
    role = TeamRole.MEMBER


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "objectives.Cycle"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Q{n % 4 + 1} {2026 + n // 4}")
    kind = "quarter"
    start_date = date(2026, 10, 1)
    end_date = date(2026, 12, 31)
    state = "active"


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "objectives.Objective"

    organisation = factory.SubFactory(OrganisationFactory)
    cycle = factory.SubFactory(CycleFactory, organisation=factory.SelfAttribute("..organisation"))
    title = factory.Sequence(lambda n: f"Objective {n}")
    owner = factory.SubFactory(MembershipFactory, organisation=factory.SelfAttribute("..organisation"))
    visibility = "company"
    state = "active"
