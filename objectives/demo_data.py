"""The demo company's OKRs: a yearly objective with quarterly children, company → department →
team cascade across the five value dimensions, health metrics and key failure indicators.

Called by ``manage.py load_demo`` after the organisation exists; idempotent (skipped when the
organisation has cycles already). Until check-ins exist, key results carry start, target and current
values but no confidence, so their status reads "not started".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction

from objectives import services
from objectives.models import Cycle, HealthMetric, Objective
from objectives.services.outbox import outbox_drain
from objectives.services.snapshots import snapshots_take
from okrapp.models import Membership, Organisation, Team

DIMENSIONS = [
    ("Customer value", "Customers succeed because of us"),
    ("Business value", "Revenue that grows efficiently"),
    ("Innovation", "New bets, tested fast with customers"),
    ("Operational excellence", "Reliable, secure, fast to change"),
    ("People", "A team people want to join and stay in"),
]

# (team or None, name, unit, direction, green, amber, latest value)
HEALTH = [
    (None, "Monthly churn", "%", "lower", 2.0, 3.0, 1.8),
    (None, "Gross margin", "%", "higher", 70.0, 60.0, 64.0),
    (None, "Employee engagement", "%", "higher", 75.0, 65.0, 78.0),
    ("Platform", "Support tickets per week", "tickets", "lower", 40.0, 60.0, 71.0),
    ("Platform", "Error rate", "%", "lower", 0.5, 1.0, 0.4),
    ("Mobile App", "Session length", "min", "higher", 6.0, 4.0, 5.1),
    ("Mobile App", "App store rating", "stars", "higher", 4.5, 4.0, 4.6),
    ("Growth", "Trial sign-ups per week", "sign-ups", "higher", 400.0, 300.0, 420.0),
    ("Customer Success", "First response time", "h", "lower", 2.0, 4.0, 1.5),
]


def _person(org: Organisation, email: str) -> Membership:
    return Membership.objects.select_related("user").get(organisation=org, user__email=email)


@transaction.atomic
def load_demo(organisation: Organisation, *, today: date) -> str:
    if Cycle.objects.filter(organisation=organisation).exists():
        return "OKRs: already loaded."
    org = organisation
    team = {t.name: t for t in Team.objects.filter(organisation=org)}
    ceo, cto, vp = (
        _person(org, e) for e in ("leadership@example.com", "maya.lindqvist@example.com", "tom.becker@example.com")
    )
    people = {m.user.email.split("@")[0]: m for m in Membership.objects.filter(organisation=org).select_related("user")}

    year = services.cycle_create(
        organisation=org, name="2026", kind="year", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    quarter = services.cycle_create(
        organisation=org,
        name="Q4 2026",
        kind="quarter",
        start_date=date(2026, 10, 1),
        end_date=date(2026, 12, 31),
        parent=year,
    )
    services.cycle_create(
        organisation=org, name="Q1 2027", kind="quarter", start_date=date(2027, 1, 1), end_date=date(2027, 3, 31)
    )
    for cycle in (year, quarter):
        services.cycle_activate(cycle=cycle)

    dims = {
        name: services.value_dimension_save(organisation=org, name=name, description=text) for name, text in DIMENSIONS
    }
    health: dict[str, HealthMetric] = {}
    for team_name, name, unit, direction, green, amber, latest in HEALTH:
        metric = HealthMetric(organisation=org, latest_value=latest)
        health[name] = services.health_metric_save(
            organisation=org,
            team=team[team_name] if team_name else None,
            name=name,
            unit=unit,
            direction=direction,
            green_threshold=green,
            amber_threshold=amber,
            metric=metric,
        )

    def objective(
        title: str,
        owner: Membership,
        *,
        cycle: Cycle = quarter,
        team_name: str | None = None,
        dimension: str | None = None,
        parent: Objective | None = None,
        visibility: str = "company",
        contributes: tuple[Any, ...] = (),
        stretch: bool = False,
    ) -> Objective:
        return services.objective_create(
            organisation=org,
            cycle=cycle,
            team=team[team_name] if team_name else None,
            title=title,
            owner=owner,
            visibility=visibility,
            state="active",
            parent=parent,
            value_dimension=dims.get(dimension or ""),
            contributes_to=contributes,
            stretch=stretch,
        )

    def kr(obj: Objective, title: str, owner: Membership | None, **fields: Any) -> Any:
        kfis = fields.pop("kfis", ())
        return services.key_result_create(objective=obj, title=title, owner=owner, kfis=kfis, today=today, **fields)

    # The year, and the quarter's company objectives aligned to it.
    mission = objective(
        "Become the easiest way for small businesses to get paid", ceo, cycle=year, dimension="Customer value"
    )
    kr(mission, "Net revenue retention", ceo, start_value=98, target_value=110, current_value=104, unit="%")
    kr(mission, "Paying customers", vp, start_value=2400, target_value=4000, current_value=3350, stretch=True)
    kr(mission, "Payments processed per month", cto, start_value=40, target_value=75, current_value=61, unit="M €")

    delight = objective("Delight customers at every payment", ceo, dimension="Customer value", parent=mission)
    nps = kr(delight, "Net Promoter Score", ceo, start_value=32, target_value=45, current_value=38, stretch=True)
    conversion = kr(
        delight,
        "Checkout and app experience from the teams' objectives",
        cto,
        start_value=0,
        target_value=1,
        progress_from_aligned=True,
    )
    grow = objective("Grow revenue efficiently", vp, dimension="Business value", parent=mission)
    kr(delight, "Support tickets per 100 customers", ceo, start_value=12, target_value=6, current_value=9)
    kr(
        grow,
        "Annual recurring revenue",
        vp,
        start_value=4.2,
        target_value=5.0,
        current_value=4.55,
        unit="M €",
        kfis=[health["Gross margin"]],
    )
    kr(
        grow,
        "Gross margin stays healthy",
        vp,
        kind="guardrail",
        bound=60,
        bound_keep="above",
        current_value=64,
        unit="%",
    )
    reliable = objective("Run a reliable, secure platform", cto, dimension="Operational excellence")
    kr(grow, "Sales cycle length", vp, start_value=45, target_value=30, current_value=38, unit="days")
    kr(reliable, "Uptime", cto, kind="guardrail", bound=99.95, bound_keep="above", current_value=99.97, unit="%")
    kr(reliable, "Sev-1 incidents per month", cto, start_value=4, target_value=1, current_value=2)
    kr(reliable, "Mean time to restore", cto, start_value=90, target_value=30, current_value=55, unit="min")
    # Ambitious on purpose: every KR of it reads as stretch (0.7 at the end is a success).
    bets = objective("Learn fast from new bets", cto, dimension="Innovation", stretch=True)
    kr(
        bets,
        "Experiments validated with customers",
        cto,
        start_value=0,
        target_value=3,
        current_value=1,
    )
    kr(bets, "AI reconciliation beta live with 10 customers", cto, kind="milestone")
    kr(bets, "Customers in the design partner programme", vp, start_value=4, target_value=15, current_value=9)
    team_people = objective("Build a team people want to join", people["admin"], dimension="People")
    kr(team_people, "Employee NPS", people["admin"], start_value=20, target_value=35, current_value=24)
    kr(
        team_people,
        "Offer acceptance rate",
        people["admin"],
        start_value=60,
        target_value=80,
        current_value=71,
        unit="%",
    )

    # Departments.
    eng = objective("Engineering ships faster and safer", cto, team_name="Product & Engineering", parent=reliable)
    kr(
        team_people,
        "Regretted attrition stays low",
        people["admin"],
        kind="guardrail",
        bound=5,
        bound_keep="below",
        current_value=3.5,
        unit="%",
    )
    kr(eng, "Deploys per week", cto, start_value=3, target_value=10, current_value=6, unit="deploys")
    kr(eng, "Change failure rate", cto, start_value=18, target_value=8, current_value=12, unit="%")
    kr(eng, "Lead time for changes", cto, start_value=6, target_value=2, current_value=4, unit="days")
    gtm = objective("Win more of the right customers", vp, team_name="Go-to-Market", parent=grow)
    kr(gtm, "Qualified pipeline", vp, start_value=1.2, target_value=2.0, current_value=1.5, unit="M €")
    kr(gtm, "Win rate", vp, start_value=18, target_value=25, current_value=20, unit="%")
    kr(gtm, "Net revenue from expansion", vp, start_value=0.3, target_value=0.6, current_value=0.42, unit="M €")

    # Teams.
    checkout = objective(
        "Checkout is fast and reliable",
        people["lead"],
        team_name="Checkout",
        parent=eng,
        visibility="team",
        contributes=(conversion,),
    )
    kr(
        checkout,
        "API p95 latency",
        people["lead"],
        start_value=800,
        target_value=300,
        current_value=350,
        unit="ms",
        measure="lead",
    )
    kr(
        checkout,
        "Checkout uptime",
        people["member"],
        kind="guardrail",
        bound=99.95,
        bound_keep="above",
        current_value=99.96,
        unit="%",
        kfis=[health["Support tickets per week"]],
    )
    kr(
        checkout,
        "Card payment success rate",
        people["omar.haddad"],
        start_value=94.0,
        target_value=97.5,
        current_value=95.4,
        unit="%",
        contributors=[people["zoe.kim"]],
    )
    kr(checkout, "PCI DSS audit passed", people["lead"], kind="milestone")
    platform = objective(
        "A platform every team trusts", people["jonas.weber"], team_name="Platform", parent=eng, visibility="team"
    )
    kr(platform, "CI build time", people["ben.carter"], start_value=14, target_value=6, current_value=9, unit="min")
    kr(
        platform,
        "API error rate",
        people["aiko.tanaka"],
        kind="guardrail",
        bound=0.5,
        bound_keep="below",
        current_value=0.4,
        unit="%",
        kfis=[health["Error rate"]],
    )
    kr(
        platform,
        "Services on the new deploy pipeline",
        people["jonas.weber"],
        start_value=4,
        target_value=20,
        current_value=11,
        unit="services",
    )
    mobile = objective(
        "Mobile users come back every week",
        people["rafael.costa"],
        team_name="Mobile App",
        parent=eng,
        visibility="team",
        contributes=(conversion, nps),
    )
    kr(
        mobile,
        "Weekly active users",
        people["rafael.costa"],
        start_value=18000,
        target_value=25000,
        current_value=21000,
        unit="users",
        kfis=[health["Session length"]],
    )
    kr(
        mobile,
        "Crash-free sessions",
        people["kofi.mensah"],
        start_value=99.2,
        target_value=99.8,
        current_value=99.5,
        unit="%",
    )
    kr(mobile, "Implement offline mode", people["ines.duarte"], kind="milestone")
    growth = objective(
        "Turn more trials into customers", people["hannah.schulz"], team_name="Growth", parent=gtm, visibility="team"
    )
    kr(
        growth,
        "Trial-to-paid conversion",
        people["hannah.schulz"],
        start_value=8,
        target_value=12,
        current_value=10.5,
        unit="%",
    )
    kr(
        growth,
        "Activated within 7 days",
        people["diego.alvarez"],
        start_value=35,
        target_value=50,
        current_value=41,
        unit="%",
    )
    kr(
        growth,
        "Cost per acquisition",
        people["noah.williams"],
        start_value=420,
        target_value=350,
        current_value=395,
        unit="€",
    )
    success = objective(
        "Customers get value in their first month",
        people["elena.rossi"],
        team_name="Customer Success",
        parent=gtm,
        visibility="team",
    )
    kr(
        success,
        "Median onboarding time",
        people["elena.rossi"],
        start_value=21,
        target_value=10,
        current_value=15,
        unit="days",
    )
    kr(
        success,
        "Logo churn",
        people["marcus.johnson"],
        kind="guardrail",
        bound=2,
        bound_keep="below",
        current_value=1.8,
        unit="%",
        kfis=[health["Monthly churn"]],
    )
    kr(
        success,
        "Customers with a success plan",
        people["sofia.petrova"],
        start_value=30,
        target_value=90,
        current_value=55,
        unit="%",
    )
    nordics = objective("Prepare the Nordics launch", people["hannah.schulz"], team_name="Growth", visibility="private")
    kr(
        nordics,
        "Pricing validated with Nordic customers",
        people["hannah.schulz"],
        start_value=0,
        target_value=5,
        current_value=2,
    )
    return (
        f"OKRs: 3 cycles, {Objective.objects.filter(organisation=org).count()} objectives, "
        f"{len(health)} health metrics, {len(dims)} value dimensions."
    )


def settle_demo(organisation: Organisation, *, today: date) -> str:
    """Once every app's demo data is in: recompute what the writes asked for now (the worker may not be
    running yet) and back-fill the daily snapshots from the cycles' starts, so trends have a history."""
    recomputed = outbox_drain(older_than=timedelta(0), today=today)
    taken = snapshots_take(today=today, organisation=organisation)
    return f"Recomputed {recomputed} pending requests; {taken.describe()}."
