"""XSS probe in Chromium: script, attribute-breaking, javascript: URL and <img onerror> payloads in every
text field people write, shown on every page that shows them. Each page must keep them inert: no dialog
opens, no element carries an on* handler, no link or source runs javascript:, no inline script is added,
the payloads read as plain text, and the console stays clean (the page fixture fails on any console
error, so a payload blocked by the content security policy fails the test too).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from backlog import services as backlog_services
from backlog import sprints as backlog_sprints
from checkins import reminders
from checkins import services as checkin_services
from objectives import services as objective_services
from objectives.services.snapshots import snapshots_take
from okrapp import services as okrapp_services
from okrapp.http import Viewer
from okrapp.timeutil import org_today
from tests.browser.conftest import screenshot
from tests.browser.test_frame import sign_in
from tests.conftest import settle
from tests.factories import CycleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '" onmouseover="alert(1)'
JS_URL = "javascript:alert(1)"
IMG = "<img src=x onerror=alert(1)>"
ALL = f"{SCRIPT} {ATTRIBUTE} {JS_URL} {IMG}"  # 104 characters: fits every field of 120 or more
SHORT = f"{SCRIPT}{ATTRIBUTE}{IMG}"  # 76: for the names capped at 80 characters
UNIT = "<b onclick=alert(1)>"  # 20: a KR's unit is capped at 20


def text(label: str) -> str:
    return f"{label} {ALL}"


# What must read as text on the pages (the start of a field is enough where a page shortens it).
OBJECTIVE = text("Objective")
KEY_RESULT = text("KR")
STORY = text("Story")
EPIC = text("Epic")
THEME = text("Theme")
METRIC = text("Metric")
TEAM = text("Checkout")
PERSON = text("Lee")


@pytest.fixture
def payloads(cast):
    """Every text field people write, filled with the payloads through the services."""
    org = cast.org
    today = org_today(org)
    org.name = text("Acme")
    org.checkin_day = 0  # Monday: the reminder is due today, whatever the day
    org.save()
    user = cast.lead.user
    user.full_name = PERSON
    user.save()
    okrapp_services.membership_change(membership=cast.lead, role=cast.lead.role, job_title=ALL)
    okrapp_services.team_update(team=cast.team, name=TEAM, parent=cast.department, mission=ALL)
    cycle = CycleFactory(
        organisation=org, name=SHORT, start_date=today - timedelta(days=49), end_date=today + timedelta(days=49)
    )
    dimension = objective_services.value_dimension_save(organisation=org, name=SHORT, description=ALL)
    metric = objective_services.health_metric_save(
        organisation=org,
        team=cast.team,
        name=METRIC,
        description=ALL,
        unit=JS_URL,
        direction="higher",
        green_threshold=60,
        amber_threshold=50,
    )
    checkin_services.reading_save(metric=metric, taken_on=today, value=55, note=ALL, author_id=None, today=today)
    objective = objective_services.objective_create(
        organisation=org,
        cycle=cycle,
        team=cast.team,
        title=OBJECTIVE,
        description=ALL,
        owner=cast.lead,
        visibility="team",
        state="active",
        value_dimension=dimension,
    )
    kr = objective_services.key_result_create(
        objective=objective,
        title=KEY_RESULT,
        description=ALL,
        unit=UNIT,
        start_value=0,
        target_value=10,
        owner=cast.lead,
        kfis=[metric],
        today=today,
    )
    objective_services.key_result_create(  # no check-in this week: its owner gets a reminder
        objective=objective, title=text("Waiting KR"), start_value=0, target_value=1, owner=cast.lead, today=today
    )
    viewer = Viewer.load(user)
    checkin_services.checkin_save(
        viewer=viewer, key_result=kr, week=None, value=3, confidence=0.8, today=today - timedelta(days=7)
    )
    checkin_services.checkin_save(
        viewer=viewer,
        key_result=kr,
        value=5,
        confidence=0.6,
        what_changed=text("Changed"),
        next_steps=text("Next"),
        blockers=text("Blocked"),
        today=today,
    )
    theme = backlog_services.theme_save(
        organisation=org, title=THEME, description=ALL, lane="now", objectives=[objective]
    )
    briefing = {
        name: text(name) for name in ("context", "higher_intent", "my_intent", "key_implied_tasks", "boundaries")
    }
    epic = backlog_services.epic_save(organisation=org, team=cast.team, title=EPIC, theme=theme, **briefing)
    backlog_services.link_epic(epic=epic, key_result=kr, share=0.2, note=ALL)
    sprint = backlog_sprints.sprint_save(
        organisation=org,
        team=cast.team,
        name=SHORT,
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=10),
        goal=text("Goal"),
        focus_key_results=[kr],
    )
    backlog_sprints.sprint_start(sprint=sprint)
    story = backlog_services.story_save(
        organisation=org,
        team=cast.team,
        title=STORY,
        description=ALL,
        points=3,
        epic=epic,
        sprint=sprint,
        assignee=cast.lead,
    )
    backlog_services.link_story(story=story, key_result=kr, share=0.5, note=ALL)
    settle(today=today)
    snapshots_take(organisation=org)
    reminders.send_reminders(site_url="http://testserver")
    return {"objective": objective, "kr": kr, "metric": metric, "epic": epic, "sprint": sprint, "story": story}


INERT_CHECK = """() => {
  const handlers = [];
  const urls = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || name.startsWith("hx-on")) handlers.push(`${el.tagName} ${name}`);
      if (/^\\s*javascript:/i.test(attr.value) && /(href|src|action|formaction|^hx-|data)$/.test(name)) {
        urls.push(`${el.tagName} ${name}=${attr.value}`);
      }
    }
  }
  const scripts = [...document.querySelectorAll("script")].filter((s) => !s.src).map((s) => s.outerHTML);
  const images = [...document.querySelectorAll('img[src="x"]')].length;
  return { handlers, urls, scripts, images, alerted: window.__alerted || 0 };
}"""


def assert_inert(page, dialogs: list[str], where: str, *shown: str) -> None:
    """The page as it stands keeps every payload inert, and shows ``shown`` as text."""
    found = page.evaluate(INERT_CHECK)
    assert found == {"handlers": [], "urls": [], "scripts": [], "images": 0, "alerted": 0}, where
    assert dialogs == [], where
    body = page.locator("body").inner_text()
    for words in shown:
        assert words in body, (where, words)


def test_payloads_stay_text_on_every_page(page, live_server, cast, payloads):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # Were a payload to run despite the policy, alert would count here before anything else could.
    page.add_init_script("window.alert = () => { window.__alerted = (window.__alerted || 0) + 1; };")
    objective, kr, epic, sprint = payloads["objective"], payloads["kr"], payloads["epic"], payloads["sprint"]
    team, dept = cast.team.pk, cast.department.pk
    sign_in(page, live_server, cast.lead.user.email)
    assert_inert(page, dialogs, "home", TEAM)

    pages = [
        (f"/okrs/?team={team}", [OBJECTIVE, KEY_RESULT]),
        (f"/objectives/{objective.pk}/", [OBJECTIVE, ALL, KEY_RESULT, SHORT]),
        (f"/key-results/{kr.pk}/", [KEY_RESULT, ALL, text("Changed"), text("Next"), text("Blocked"), STORY, METRIC]),
        ("/my-week/", [KEY_RESULT]),
        (f"/teams/{team}/", [TEAM, OBJECTIVE, KEY_RESULT, METRIC]),
        (f"/teams/{team}/check-in/", [KEY_RESULT, text("Blocked")]),
        (f"/cascade/?open=c,t{dept},t{team},o{objective.pk}", [OBJECTIVE, KEY_RESULT, TEAM]),
        ("/cascade/dimensions/", [SHORT]),
        ("/heatmap/?expand=all", [OBJECTIVE, KEY_RESULT]),
        (f"/backlog/?team={team}", [STORY, KEY_RESULT]),
        (f"/backlog/teams/{team}/ranked/", [STORY]),
        (f"/backlog/teams/{team}/epics/", [EPIC]),
        (f"/backlog/epics/{epic.pk}/", [EPIC, KEY_RESULT, STORY]),
        (f"/backlog/teams/{team}/sprints/", [SHORT]),
        (f"/backlog/sprints/{sprint.pk}/", [SHORT, text("Goal"), KEY_RESULT, STORY]),
        (f"/backlog/stories/{payloads['story'].pk}/", []),
        ("/roadmap/", [THEME, ALL, KEY_RESULT]),
        ("/health/", [METRIC]),
        ("/health/board/", [METRIC, JS_URL, KEY_RESULT]),
        (f"/health/{payloads['metric'].pk}/", [METRIC, ALL]),
        ("/value-dimensions/", [SHORT, ALL]),
        ("/cycles/", [SHORT]),
        ("/people/", [PERSON]),
        (f"/people/{cast.lead.pk}/", [PERSON, ALL, TEAM]),
        ("/teams/", [TEAM, ALL]),
        (f"/teams/{team}/people/", [PERSON]),
        ("/check-ins/compliance/", [TEAM]),
        ("/notifications/", ["Check-in day"]),
    ]
    for path, shown in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert_inert(page, dialogs, path, *shown)
        page.mouse.move(5, 5)  # hover over the page: an injected onmouseover would fire
        page.hover("main")
        assert_inert(page, dialogs, path)
    screenshot(page, "xss-notifications")

    # In My week the check-in's notes come back inside the form's fields, as their values.
    page.goto(f"{live_server.url}/my-week/")
    card = page.locator(f"#row-{kr.pk}")
    assert card.get_by_label("What changed (optional)").input_value() == text("Changed")
    assert card.get_by_label("Blockers (optional)").input_value() == text("Blocked")
    page.goto(f"{live_server.url}/backlog/epics/{epic.pk}/")  # the lead edits the mission briefing
    assert page.get_by_label("Context (optional)").input_value() == text("context")
    assert page.get_by_label("Boundaries (optional)").input_value() == text("boundaries")

    # Partials swapped in by htmx: an objective opened in place on the cascade, the KR link picker.
    page.goto(f"{live_server.url}/cascade/?open=c,t{dept},t{team}")
    page.locator(f"#toggle-o{objective.pk}").click()
    page.locator(f'#toggle-o{objective.pk}[aria-expanded="true"]').wait_for()
    assert_inert(page, dialogs, "cascade, opened in place", KEY_RESULT)
    page.goto(f"{live_server.url}/backlog/?team={team}")
    row = page.locator("tr", has_text=STORY)
    row.get_by_role("link", name="Link to a key result").click()
    row.get_by_label("Find a key result").fill("KR")
    row.get_by_role("radio", name=text("Waiting KR")).wait_for()
    assert_inert(page, dialogs, "link picker", KEY_RESULT)

    # A payload typed into a form comes back in the confirmation message as text.
    page.goto(f"{live_server.url}/backlog/?team={team}")
    page.get_by_text("Add a story").click()
    page.get_by_label("Story", exact=True).fill(text("Typed"))
    page.get_by_role("button", name="Add story").click()
    page.get_by_text(f"Story “{text('Typed')}” was added.").wait_for()
    assert_inert(page, dialogs, "story added", f"Story “{text('Typed')}” was added.")
    assert page.get_by_role("button", name="Log out").count() == 1  # the backlog page, not nested in the form
    screenshot(page, "xss-backlog")

    # A member reads the mission briefing as text, not in a form.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    sign_in(page, live_server, cast.member.user.email)
    page.goto(f"{live_server.url}/backlog/epics/{epic.pk}/")
    assert page.get_by_label("Context (optional)").count() == 0
    assert_inert(page, dialogs, "briefing, read", EPIC, text("context"), text("my_intent"), text("boundaries"))


def test_the_probe_finds_a_payload_that_got_through(page):
    """The checks above can fail: on a page where the payloads were written as HTML, each one shows."""
    page.set_content(
        '<main><p>Objective <b onmouseover="alert(1)">x</b></p><a href=" javascript:alert(1)">go</a>'
        '<script type="text/plain">alert(1)</script></main>'
    )
    found = page.evaluate(INERT_CHECK)
    assert found["handlers"] == ["B onmouseover"] and found["urls"] == ["A href= javascript:alert(1)"]
    assert len(found["scripts"]) == 1
