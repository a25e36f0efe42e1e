"""The permission sweep (issue 10): every page and API route × every persona × every visibility → the
answer DESIGN.md's "Who sees what" and "Permissions and safety" give: 200, the login page, 403 for what
one sees but may not change, 404 for what one may not see.

The table below has one entry per route of the URL configuration; a route without one fails
``test_every_route_is_in_the_table`` (so whoever adds a route classifies it); a route that answers GET
also needs an entry in the content sweep's table (tests/security/test_content_sweep.py, whose docstring
says how), which reads the bodies for canaries. Each entry lists its checks:
the request and the ladder of rules of tests/security/sweep.py: GET for reads; a write carries a valid
body for those it must let through (and succeeds), an empty one on a page for those it must refuse (a
refusal never depends on the form); an API write carries a valid body for everyone. Lists and dashboards
are checked per visibility too: the object of each visibility shows on them exactly for those who may see
it (titles on pages, ids in the API).

The cast (tests/conftest.py): admin, leadership, the lead, a member and a guest of the team Checkout
(under the department Engineering), "elsewhere" a member of the team Growth, and the outsider, an admin of
another organisation. The objectives are Checkout's, owned by its lead. Who sees one:
company → everyone of the organisation; team → Checkout's people (its guest too), leadership and admins,
not Growth's member; private → its owner, its key results' owners and contributors and the team's leads:
here the lead alone (not the admin: a team's private objective is not the company's).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import client as test_client
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from tests.security.sweep import (
    ACME,
    LOGIN,
    METRICS,
    PERSONAS,
    SIGNED_IN,
    TEAMS,
    VISIBILITIES,
    Check,
    Once,
    Route,
    Url,
    World,
    api,
    build_world,
    page,
    per_team,
    public,
    route_names,
    run,
    who,
)

# --- Who passes what --------------------------------------------------------------------------------

SEES = who({"company": ACME, "team": ACME - {"elsewhere"}, "private": {"lead"}})
IN_ACME = who(ACME)
DEFINES = who({"admin", "lead"})  # the objective's owner and its team's lead; admins
CHECKS_IN = who({"lead"})  # the KR's owner and contributors and the team's lead (not admins)
OWNS_KR = who({"lead"})  # whose My week lists the key results
SEES_WORK = per_team(ACME, ACME - {"guest"})  # work is not private; a guest sees their own teams'
SEES_PERSON = SEES_WORK  # the directory: a guest sees the people of their own teams
EDITS_STORIES = per_team({"admin", "lead", "member"}, {"admin", "elsewhere"})
PLANS = per_team({"admin", "lead"}, {"admin"})
ROADMAP = who({"admin", "leadership", "lead"})
ROADMAP_ANYWHERE = who({"admin", "leadership", "lead", "outsider"})
ADMIN = who({"admin"})
ADMIN_ANYWHERE = who({"admin", "outsider"})
DIRECTORY = who(SIGNED_IN - {"guest"})
SEES_METRIC = who({"company-wide": ACME, "checkout": ACME, "growth": ACME - {"guest"}})
WRITES_METRIC = who({"company-wide": {"admin"}, "checkout": {"admin", "lead"}, "growth": {"admin"}})
ADDS_METRICS = who({"admin", "lead", "outsider"})
SCOPES = ("company-level", "checkout", "growth")


# The key result, as the Growth health metric guarding it (the guest may not see that one).
SEES_KR_AND_GROWTH_METRIC = who(
    {"company": ACME - {"guest"}, "team": ACME - {"elsewhere", "guest"}, "private": {"lead"}}
)


SEES_SCOPE = who({"company-level": ACME, "checkout": ACME, "growth": ACME - {"guest"}})
WRITES_SCOPE = who({"company-level": {"admin", "leadership"}, "checkout": {"admin", "lead"}, "growth": {"admin"}})

OBJECT = ((SEES, 404),)
DEFINITION = (*OBJECT, (DEFINES, 403))
CHECK_IN = (*OBJECT, (CHECKS_IN, 403))
ACME_OBJECT = ((IN_ACME, 404),)
WORK = ((SEES_WORK, 404),)
STORY_WRITE = (*WORK, (EDITS_STORIES, 403))
PLANNING = (*WORK, (PLANS, 403))
ADMIN_PAGE = ((ADMIN_ANYWHERE, 403),)
ADMIN_OBJECT = (*ADMIN_PAGE, (IN_ACME, 404))  # admin pages refuse everyone else before looking anything up
METRIC = ((SEES_METRIC, 404),)
METRIC_WRITE = (*METRIC, (WRITES_METRIC, 403))
IN_API_BODY = ((IN_ACME, 400),)  # another organisation's id in an API body: "not found" in its field

# --- URLs and bodies --------------------------------------------------------------------------------


def url(name: str, *parts: Any, query: Any = None) -> Url:
    """The route's URL; each part is a function (world, variant) → an object or a value."""

    def build(world: World, variant: str) -> str:
        args = [getattr(value, "pk", value) for value in (part(world, variant) for part in parts)]
        path = reverse(name, args=args)
        if query is not None:
            path += "?" + "&".join(f"{k}={getattr(v, 'pk', v)}" for k, v in query(world, variant).items())
        return path

    return build


def fixed(**fields: Any) -> Any:
    return lambda world, variant, persona: fields


def objective(w: World, v: str) -> Any:
    return w.objective[v]


def kr(w: World, v: str) -> Any:
    return w.kr[v]


def team(w: World, v: str) -> Any:
    return w.team[v]


def story(w: World, v: str) -> Any:
    return w.story[v]


def epic(w: World, v: str) -> Any:
    return w.epic[v]


def metric(w: World, v: str) -> Any:
    return w.metric[v]


def sprint(w: World, v: str) -> Any:
    return w.sprint[v]


def checkout_scope(w: World, v: str) -> dict[str, Any]:
    return {"team": w.team["checkout"], "cycle": w.quarter}


def title_of_objective(w: World, v: str) -> str:
    return w.objective[v].title


def title_of_kr(w: World, v: str) -> str:
    return w.kr[v].title


def json_ids(owner: Any, field: str, wanted: Any) -> Any:
    """A marker on an API list: the row of ``owner`` names ``wanted`` in ``field`` (an id, or a list of ids)."""

    def marker(w: World, v: str) -> Any:
        def found(text: str) -> bool:
            rows = {row["id"]: row for row in json.loads(text)["results"]}
            value = rows.get(owner(w, v).pk, {}).get(field)
            return wanted(w, v).pk in value if isinstance(value, list) else wanted(w, v).pk == value

        return found

    return marker


def objective_form(w: World, v: str, p: str) -> dict[str, Any]:
    return {"title": w.objective[v].title, "owner": w.cast.lead.pk, "visibility": v, "state": "active"}


def scope_url(name: str) -> Url:
    def build(w: World, v: str) -> str:
        scope = "company" if v == "company-level" else w.team[v].pk
        return f"{reverse(name)}?team={scope}&cycle={w.quarter.pk}"

    return build


def new_objective(w: World, v: str, p: str) -> dict[str, Any]:
    visibility = "company" if v == "company-level" else "team"
    return {"title": "Swept objective", "owner": w.cast.lead.pk, "visibility": visibility, "state": "active"}


KR_FORM = {
    "title": "Sweep checkout p95 from 900 to 400 ms",
    "kind": "metric",
    "start_value": 900,
    "target_value": 400,
    "weight": 1,
    "measure": "lag",
}


def kr_form(w: World, v: str, p: str) -> dict[str, Any]:
    return {**KR_FORM, "owner": w.cast.lead.pk}


def metric_form(w: World, v: str, p: str) -> dict[str, Any]:
    own = w.cast.outsider_team if p == "outsider" else w.metric[v].team if v in METRICS else w.team["checkout"]
    return {
        "name": w.metric[v].name if v in METRICS else "Swept metric",
        "team": own.pk if own else "",
        "direction": "higher",
        "green_threshold": 60,
        "amber_threshold": 50,
    }


def jira_upload(w: World, v: str, p: str) -> dict[str, Any]:
    content = b"Issue key,Summary,Issue Type,Status\r\nSWP-1,Swept story,Story,To Do\r\n"
    return {"file": SimpleUploadedFile("jira.csv", content, content_type="text/csv")}


def now_iso(w: World, v: str, p: str) -> dict[str, Any]:
    return {"value": 30, "timestamp": timezone.now().isoformat()}


def swept_comment(w: World, v: str) -> Any:
    """The lead's comment on the key result of each visibility (made once per world)."""
    from comments.access import target_of_key_result
    from comments.models import Comment
    from comments.services import comment_create

    found = Comment.objects.filter(key_result=w.kr[v], author=w.cast.lead).first()
    return found or comment_create(author=w.cast.lead, target=target_of_key_result(w.kr[v]), body="Swept comment")


def unsubscribe_link(w: World, v: str) -> str:
    from okrapp.unsubscribe import unsubscribe_token

    return unsubscribe_token(w.cast.member, "digest")


COMMENTS = who(ACME - {"guest"})  # everyone who sees the target but guests takes part
COMMENT_AUTHOR = who({"lead"})


def home_answer(persona: str, variant: str) -> frozenset[int | str]:
    return frozenset({302 if persona == "leadership" else 200})  # leadership lands on the cascade


def login_answer(persona: str, variant: str) -> frozenset[int | str]:
    return frozenset({200 if persona == "anonymous" else 302})  # the signed-in go home


SHOWS_OBJECTIVE = (title_of_objective, SEES)
SHOWS_KR = (title_of_kr, SEES)
SHOWS_GROWTH_METRIC = (Once(lambda w: w.metric["growth"].name), who(ACME - {"guest"}))
GET, POST, PATCH, DELETE = "GET", "POST", "PATCH", "DELETE"

# --- The table: every route ---------------------------------------------------------------------------

TABLE: dict[str, Route] = {
    # Accounts (Django's auth views and ours): public, or for anyone signed in.
    "login": public(Check(GET, url("login"), ok=login_answer)),
    "logout": public(Check(POST, url("logout"), ok=frozenset({LOGIN}))),
    "password_reset": public(Check(GET, url("password_reset"))),
    "password_reset_done": public(Check(GET, url("password_reset_done"))),
    "password_reset_confirm": public(Check(GET, url("password_reset_confirm", lambda w, v: "MQ", lambda w, v: "x-y"))),
    "password_reset_complete": public(Check(GET, url("password_reset_complete"))),
    # Off unless SIGNUP_ENABLED (the default here): 404 for everyone; on, tests/okrapp/test_organisations.py.
    "signup": public(Check(GET, url("signup"), ok=frozenset({404})), Check(POST, url("signup"), ok=frozenset({404}))),
    "password_change": page(Check(GET, url("password_change"))),
    "password_change_done": page(Check(GET, url("password_change_done"))),
    # The organisation: people, teams, settings.
    "home": page(Check(GET, url("home"), ok=home_answer)),
    "people_list": page(Check(GET, url("people_list"), steps=((DIRECTORY, 403),))),
    "person_add": page(
        Check(GET, url("person_add"), steps=ADMIN_PAGE),
        Check(
            POST,
            url("person_add"),
            steps=ADMIN_PAGE,
            body=fixed(full_name="Swept Person", email="swept@example.org", role="employee", team_role="member"),
        ),
    ),
    "person_detail": page(
        Check(GET, url("person_detail", lambda w, v: w.person[v]), TEAMS, ((SEES_PERSON, 404),)),
        Check(
            POST,
            url("person_detail", lambda w, v: w.person[v]),
            TEAMS,
            ((SEES_PERSON, 404), (ADMIN, 403)),
            body=fixed(role="employee", job_title="Swept"),
        ),
    ),
    "person_unlock": page(Check(POST, url("person_unlock", lambda w, v: w.person[v]), TEAMS, ADMIN_OBJECT)),
    "person_deactivate": page(
        Check(GET, url("person_deactivate", lambda w, v: w.person[v]), TEAMS, ADMIN_OBJECT),
        Check(POST, url("person_deactivate", lambda w, v: w.person[v]), TEAMS, ADMIN_OBJECT),
    ),
    "person_reactivate": page(Check(POST, url("person_reactivate", lambda w, v: w.person[v]), TEAMS, ADMIN_OBJECT)),
    "person_handover": page(
        Check(GET, url("person_handover", lambda w, v: w.person[v]), TEAMS, ADMIN_OBJECT),
        # Nothing selected: the admin's form answers 422 (tests/okrapp/test_people_leaving.py moves work).
        Check(POST, url("person_handover", lambda w, v: w.person[v]), TEAMS, ADMIN_OBJECT, ok=frozenset({422})),
    ),
    "team_list": page(Check(GET, url("team_list"))),
    "team_add": page(
        Check(GET, url("team_add"), steps=ADMIN_PAGE),
        Check(POST, url("team_add"), steps=ADMIN_PAGE, body=fixed(name="Swept team")),
    ),
    "team_people": page(Check(GET, url("team_people", team), TEAMS, WORK)),
    "team_edit": page(
        Check(GET, url("team_edit", team), TEAMS, ADMIN_OBJECT),
        Check(
            POST,
            url("team_edit", team),
            TEAMS,
            ADMIN_OBJECT,
            body=lambda w, v, p: {"name": w.team[v].name, "parent": w.team[v].parent_id or ""},
        ),
    ),
    "team_member_add": page(
        Check(
            POST,
            url("team_member_add", team),
            TEAMS,
            ADMIN_OBJECT,
            body=lambda w, v, p: {"person": w.cast.leadership.pk, "role": "member"},
        )
    ),
    "team_member_role": page(
        Check(
            POST,
            url("team_member_role", team, lambda w, v: w.team_membership[v]),
            TEAMS,
            ADMIN_OBJECT,
            body=fixed(role="lead"),
        )
    ),
    "team_member_remove": page(
        Check(POST, url("team_member_remove", team, lambda w, v: w.team_membership[v]), TEAMS, ADMIN_OBJECT)
    ),
    "system_status": page(Check(GET, url("system_status"), steps=ADMIN_PAGE)),
    "notifications": page(Check(GET, url("notifications")), Check(POST, url("notifications"))),
    "api_tokens": page(Check(GET, url("api_tokens")), Check(POST, url("api_tokens"), body=fixed(name="Swept"))),
    "notification_settings": page(
        Check(GET, url("notification_settings")),
        Check(POST, url("notification_settings"), body=fixed(email_digest="on")),
    ),
    # Authenticated by its signature, not a session: answers everyone alike (POST turns the e-mail off).
    "unsubscribe": public(
        Check(GET, url("unsubscribe", unsubscribe_link)), Check(POST, url("unsubscribe", unsubscribe_link))
    ),
    # Comments: exactly as visible as their target; guests read; only the author changes one.
    "comment_thread_key_result": page(
        Check(GET, url("comment_thread_key_result", kr), VISIBILITIES, OBJECT),
        Check(
            POST,
            url("comment_thread_key_result", kr),
            VISIBILITIES,
            (*OBJECT, (COMMENTS, 403)),
            body=fixed(body="Swept"),
        ),
    ),
    "comment_thread_checkin": page(
        Check(GET, url("comment_thread_checkin", lambda w, v: w.checkin[v]), VISIBILITIES, OBJECT),
        Check(
            POST,
            url("comment_thread_checkin", lambda w, v: w.checkin[v]),
            VISIBILITIES,
            (*OBJECT, (COMMENTS, 403)),
            body=fixed(body="Swept"),
        ),
    ),
    "comment_thread_epic": page(
        Check(GET, url("comment_thread_epic", epic), (*VISIBILITIES, *TEAMS), WORK),
        Check(
            POST,
            url("comment_thread_epic", epic),
            (*VISIBILITIES, *TEAMS),
            (*WORK, (COMMENTS, 403)),
            body=fixed(body="Swept"),
        ),
    ),
    "comment_edit": page(
        Check(GET, url("comment_edit", swept_comment), VISIBILITIES, (*OBJECT, (COMMENT_AUTHOR, 403))),
        Check(
            POST,
            url("comment_edit", swept_comment),
            VISIBILITIES,
            (*OBJECT, (COMMENT_AUTHOR, 403)),
            body=fixed(body="Swept, edited"),
        ),
    ),
    "comment_delete": page(
        Check(POST, url("comment_delete", swept_comment), VISIBILITIES, (*OBJECT, (COMMENT_AUTHOR, 403)))
    ),
    # A person's token is theirs alone: anyone else's revoke is "no such token".
    "api_token_revoke": page(
        Check(POST, url("api_token_revoke", lambda w, v: w.token), steps=((who({"member"}), 404),))
    ),
    "organisation_settings": page(
        Check(GET, url("organisation_settings"), steps=ADMIN_PAGE),
        Check(
            POST,
            url("organisation_settings"),
            steps=ADMIN_PAGE,
            body=fixed(name="Swept", time_zone="Europe/London", checkin_day=4),
        ),
    ),
    "security_log": page(Check(GET, url("security_log"), steps=ADMIN_PAGE)),
    "webhook_list": page(
        Check(GET, url("webhook_list"), steps=ADMIN_PAGE),
        Check(
            POST,
            url("webhook_list"),
            steps=ADMIN_PAGE,
            body=fixed(url="https://hooks.example.org/swept", events=["checkin.saved"]),
        ),
    ),
    "webhook_detail": page(Check(GET, url("webhook_detail", lambda w, v: w.webhook), steps=ADMIN_OBJECT)),
    "webhook_active": page(
        Check(POST, url("webhook_active", lambda w, v: w.webhook), steps=ADMIN_OBJECT, body=fixed(active="0"))
    ),
    "webhook_delete": page(
        Check(GET, url("webhook_delete", lambda w, v: w.webhook), steps=ADMIN_OBJECT),
        Check(POST, url("webhook_delete", lambda w, v: w.webhook), steps=ADMIN_OBJECT),
    ),
    # Goals.
    "okrs": page(
        Check(GET, url("okrs", query=checkout_scope), steps=ACME_OBJECT, shows=SHOWS_OBJECTIVE),
        Check(GET, url("okrs", query=lambda w, v: {"team": w.team[v], "cycle": w.quarter}), ("growth",), WORK),
    ),
    "objective_add": page(
        Check(GET, scope_url("objective_add"), SCOPES, ((SEES_SCOPE, 404), (WRITES_SCOPE, 403))),
        Check(POST, scope_url("objective_add"), SCOPES, ((SEES_SCOPE, 404), (WRITES_SCOPE, 403)), body=new_objective),
    ),
    "objective_detail": page(
        Check(GET, url("objective_detail", objective), VISIBILITIES, OBJECT),
        # Objectives everyone sees name what they align to and contribute to only to those who may see it.
        Check(GET, url("objective_detail", lambda w, v: w.child[v]), VISIBILITIES, ACME_OBJECT, shows=SHOWS_OBJECTIVE),
        Check(GET, url("objective_detail", lambda w, v: w.move_target), steps=ACME_OBJECT, shows=SHOWS_KR),
    ),
    "objective_edit": page(
        Check(GET, url("objective_edit", objective), VISIBILITIES, DEFINITION),
        Check(POST, url("objective_edit", objective), VISIBILITIES, DEFINITION, body=objective_form),
    ),
    "key_result_add": page(
        Check(GET, url("key_result_add", objective), VISIBILITIES, DEFINITION),
        Check(POST, url("key_result_add", objective), VISIBILITIES, DEFINITION, body=kr_form),
    ),
    "key_result_edit": page(
        Check(GET, url("key_result_edit", kr), VISIBILITIES, DEFINITION),
        Check(POST, url("key_result_edit", kr), VISIBILITIES, DEFINITION, body=kr_form),
    ),
    "key_result_move": page(
        Check(
            POST,
            url("key_result_move", kr),
            VISIBILITIES,
            DEFINITION,
            body=lambda w, v, p: {"objective": w.move_target.pk},
        )
    ),
    "key_result_promote": page(Check(POST, url("key_result_promote", kr), VISIBILITIES, DEFINITION)),
    "key_result_grade": page(
        Check(
            POST,
            url("key_result_grade", kr),
            VISIBILITIES,
            DEFINITION,
            body=fixed(grade=0.1, grade_reason="Swept"),
            ok=frozenset({422}),  # grades are given once the cycle closes: only an editor gets this far
        )
    ),
    "objective_carry_over": page(
        Check(
            POST,
            url("objective_carry_over", objective),
            VISIBILITIES,
            DEFINITION,
            body=lambda w, v, p: {"cycle": w.next_cycle.pk},
        )
    ),
    "cycle_list": page(
        Check(GET, url("cycle_list")),
        Check(
            POST,
            url("cycle_list"),
            steps=ADMIN_PAGE,
            body=fixed(name="Q2 2027", kind="quarter", start_date="2027-04-01", end_date="2027-06-30"),
        ),
    ),
    "cycle_transition": page(
        Check(POST, url("cycle_transition", lambda w, v: w.next_cycle, lambda w, v: "start"), steps=ADMIN_OBJECT)
    ),
    "health_metric_list": page(Check(GET, url("health_metric_list"))),
    "health_metric_add": page(
        Check(GET, url("health_metric_add"), steps=((ADDS_METRICS, 403),)),
        Check(POST, url("health_metric_add"), steps=((ADDS_METRICS, 403),), body=metric_form),
    ),
    "health_metric_edit": page(
        Check(GET, url("health_metric_edit", metric), METRICS, METRIC_WRITE),
        Check(POST, url("health_metric_edit", metric), METRICS, METRIC_WRITE, body=metric_form),
    ),
    "value_dimension_list": page(
        Check(GET, url("value_dimension_list")),
        Check(POST, url("value_dimension_list"), steps=ADMIN_PAGE, body=fixed(name="Swept dimension")),
    ),
    "value_dimension_edit": page(
        Check(GET, url("value_dimension_edit", lambda w, v: w.dimension), steps=(*ACME_OBJECT, (ADMIN, 403))),
        Check(
            POST,
            url("value_dimension_edit", lambda w, v: w.dimension),
            steps=(*ACME_OBJECT, (ADMIN, 403)),
            body=fixed(name="Sweep dimension"),
        ),
    ),
    # Check-ins.
    "my_week": page(Check(GET, url("my_week"), shows=(title_of_kr, OWNS_KR))),
    "key_result_detail": page(
        Check(GET, url("key_result_detail", kr), VISIBILITIES, OBJECT, shows=SHOWS_GROWTH_METRIC)  # its KFI
    ),
    "health_metric_detail": page(
        Check(GET, url("health_metric_detail", metric), METRICS[:2], METRIC),
        Check(GET, url("health_metric_detail", metric), ("growth",), METRIC, shows=SHOWS_KR),  # the KRs it guards
        Check(
            POST,
            url("health_metric_detail", metric),
            METRICS,
            METRIC_WRITE,
            body=lambda w, v, p: {"taken_on": w.today.isoformat(), "value": 58},
        ),
    ),
    "checkin_row": page(
        Check(
            POST,
            url("checkin_row", kr),
            VISIBILITIES,
            CHECK_IN,
            body=lambda w, v, p: {f"kr{w.kr[v].pk}-value": 20, f"kr{w.kr[v].pk}-confidence": 0.7},
        )
    ),
    "checkin_week": page(
        Check(
            POST,
            url("checkin_week", kr),
            VISIBILITIES,
            CHECK_IN,
            body=lambda w, v, p: {"week": w.this_week.isoformat(), "past-value": 20, "past-confidence": 0.7},
        )
    ),
    "compliance": page(Check(GET, url("compliance"))),
    "team_meeting": page(
        Check(GET, url("team_meeting", lambda w, v: w.team["checkout"]), steps=ACME_OBJECT, shows=SHOWS_KR),
        Check(GET, url("team_meeting", team), ("growth",), WORK),
    ),
    # The backlog.
    "backlog": page(
        Check(GET, url("backlog", query=checkout_scope), steps=ACME_OBJECT, shows=SHOWS_KR),
        Check(GET, url("backlog", query=lambda w, v: {"team": w.team[v]}), ("growth",), WORK),
    ),
    "story_add": page(
        Check(POST, url("story_add", team), TEAMS, STORY_WRITE, body=fixed(title="Swept story", status="todo"))
    ),
    "backlog_ranked": page(
        Check(GET, url("backlog_ranked", team), TEAMS, WORK), Check(POST, url("backlog_ranked", team), TEAMS, PLANNING)
    ),
    "epic_list": page(
        Check(GET, url("epic_list", team), TEAMS, WORK),
        Check(POST, url("epic_list", team), TEAMS, PLANNING, body=fixed(title="Swept epic", status="open")),
    ),
    "sprint_list": page(
        Check(GET, url("sprint_list", team), TEAMS, WORK),
        Check(
            POST,
            url("sprint_list", team),
            TEAMS,
            PLANNING,
            body=fixed(name="Swept sprint", start_date="2026-12-01", end_date="2026-12-14"),
        ),
    ),
    "story_edit": page(
        Check(GET, url("story_edit", story), TEAMS, WORK),
        Check(POST, url("story_edit", story), TEAMS, STORY_WRITE, body=fixed(title="Swept story", status="todo")),
    ),
    "story_status": page(Check(POST, url("story_status", story), TEAMS, STORY_WRITE, body=fixed(status="in_progress"))),
    "story_move": page(Check(POST, url("story_move", story), TEAMS, STORY_WRITE, body=fixed(to="top"))),
    "story_link": page(
        Check(GET, url("story_link", story), TEAMS, STORY_WRITE),  # the picker: for those who may link
        Check(
            POST,
            url("story_link", story),
            VISIBILITIES,
            (*STORY_WRITE, *OBJECT),
            body=lambda w, v, p: {f"s{w.story[v].pk}-key_result": w.kr[v].pk, f"s{w.story[v].pk}-impact": "30 %"},
            refusal_needs_body=True,  # the key result it names is one the persona may not see
        ),
    ),
    "story_unlink": page(Check(POST, url("story_unlink", story, kr), VISIBILITIES, (*STORY_WRITE, *OBJECT))),
    "epic_detail": page(
        Check(GET, url("epic_detail", epic), VISIBILITIES, WORK, shows=SHOWS_KR),
        Check(GET, url("epic_detail", epic), ("growth",), WORK),
        Check(
            POST,
            url("epic_detail", epic),
            VISIBILITIES,
            (*PLANNING, *OBJECT),
            body=lambda w, v, p: {"action": "link", "key_result": w.kr[v].pk, "impact": "10 %"},
            refusal_needs_body=True,
        ),
        Check(
            POST,
            url("epic_detail", epic),
            TEAMS,
            PLANNING,
            body=lambda w, v, p: {"title": w.epic[v].title, "status": "open"},
        ),
    ),
    "sprint_detail": page(
        Check(
            GET,
            url("sprint_detail", lambda w, v: w.sprint["checkout"]),
            steps=ACME_OBJECT,
            shows=SHOWS_KR,
        ),
        Check(GET, url("sprint_detail", sprint), ("growth",), WORK),
        # Adds stories to it; nothing chosen: a planner's form answers 422 (tests/backlog/test_sprints.py adds).
        Check(POST, url("sprint_detail", sprint), TEAMS, PLANNING, ok=frozenset({422})),
    ),
    "sprint_start": page(Check(POST, url("sprint_start", sprint), TEAMS, PLANNING)),
    "sprint_complete": page(
        # The sweep's sprints are planned: a planner is sent back to the sprint (GET) or refused (422);
        # tests/backlog/test_sprints.py completes active ones.
        Check(GET, url("sprint_complete", sprint), TEAMS, PLANNING, ok=frozenset({302})),
        Check(POST, url("sprint_complete", sprint), TEAMS, PLANNING, ok=frozenset({422})),
    ),
    "roadmap": page(
        Check(GET, url("roadmap"), shows=SHOWS_KR),
        Check(POST, url("roadmap"), steps=((ROADMAP_ANYWHERE, 403),), body=fixed(title="Swept theme", lane="later")),
    ),
    "theme_move": page(
        Check(
            POST,
            url("theme_move", lambda w, v: w.theme["company"]),
            steps=(*ACME_OBJECT, (ROADMAP, 403)),
            body=fixed(lane="next"),
        )
    ),
    "backlog_import": page(
        Check(GET, url("backlog_import", team), TEAMS, PLANNING),
        Check(POST, url("backlog_import", team), TEAMS, PLANNING, body=jira_upload),
    ),
    "backlog_export": page(
        Check(GET, url("backlog_export", lambda w, v: w.team["checkout"]), steps=ACME_OBJECT, shows=SHOWS_KR),
        Check(GET, url("backlog_export", team), ("growth",), WORK),
    ),
    "backlog_import_detail": page(
        Check(GET, url("backlog_import_detail", lambda w, v: w.jira_import[v]), TEAMS, PLANNING),
        Check(POST, url("backlog_import_detail", lambda w, v: w.jira_import[v]), TEAMS, PLANNING),
    ),
    # Dashboards.
    "team_detail": page(
        Check(
            GET,
            url("team_detail", lambda w, v: w.team["checkout"]),
            steps=ACME_OBJECT,
            shows=(SHOWS_OBJECTIVE, SHOWS_GROWTH_METRIC),  # its objectives; another team's metric guarding its KRs
        ),
        Check(GET, url("team_detail", team), ("growth",), WORK),
    ),
    "cascade": page(
        Check(
            GET,
            url("cascade", query=lambda w, v: {"cycle": w.quarter, "open": f"t{w.team['checkout'].pk}"}),
            shows=SHOWS_OBJECTIVE,
        )
    ),
    "dimension_coverage": page(Check(GET, url("dimension_coverage"))),
    "heatmap": page(
        Check(
            GET,
            url("heatmap", query=lambda w, v: {"cycle": w.quarter, "expand": "all"}),
            shows=SHOWS_OBJECTIVE,
        )
    ),
    # The rows a heatmap row opens: an objective's KRs (as visible as the objective), a team's objectives.
    "heatmap_rows": page(
        Check(GET, url("heatmap_rows", query=lambda w, v: {"objective": objective(w, v).pk}), VISIBILITIES, OBJECT),
        Check(
            GET,
            url("heatmap_rows", query=lambda w, v: {"cycle": w.quarter, "team": w.team["checkout"].pk}),
            steps=ACME_OBJECT,
            shows=SHOWS_OBJECTIVE,
        ),
    ),
    "health_board": page(Check(GET, url("health_board"), shows=(title_of_kr, SEES_KR_AND_GROWTH_METRIC))),
    # The frame's search: what it finds is what each list shows (a guest: their own teams' work).
    "search": page(
        Check(
            GET,
            url("search", query=lambda w, v: {"q": "sweep"}),
            shows=(SHOWS_OBJECTIVE, SHOWS_KR, (Once(lambda w: w.story["growth"].title), who(ACME - {"guest"}))),
        )
    ),
    # The API, its schema and its docs.
    "api-schema": public(Check(GET, url("api-schema"))),
    "api-docs": public(Check(GET, url("api-docs"))),
    "api-token": public(Check(POST, url("api-token"), ok=frozenset({400}))),
    "cycle-list": api(
        Check(GET, url("cycle-list")),
        Check(
            POST,
            url("cycle-list"),
            steps=ADMIN_PAGE,
            body=fixed(name="Q2 2027", kind="quarter", start_date="2027-04-01", end_date="2027-06-30"),
        ),
    ),
    "cycle-detail": api(
        Check(GET, url("cycle-detail", lambda w, v: w.quarter), steps=ACME_OBJECT),
        Check(
            PATCH,
            url("cycle-detail", lambda w, v: w.quarter),
            steps=(*ACME_OBJECT, (ADMIN, 403)),
            body=fixed(name="Q4 2026"),
        ),
    ),
    "cycle-export": api(
        Check(GET, url("cycle-export", lambda w, v: w.quarter), steps=ACME_OBJECT, shows=SHOWS_OBJECTIVE)
    ),
    "cycle-import": api(
        Check(
            POST,
            url("cycle-import", lambda w, v: w.quarter),
            steps=(*ACME_OBJECT, (DEFINES, 403)),
            body=lambda w, v, p: [{"objective": "Swept objective", "team": "Checkout", "key_results": []}],
        )
    ),
    "value-dimension-list": api(
        Check(GET, url("value-dimension-list")),
        Check(POST, url("value-dimension-list"), steps=ADMIN_PAGE, body=fixed(name="Swept dimension")),
    ),
    "value-dimension-detail": api(
        Check(GET, url("value-dimension-detail", lambda w, v: w.dimension), steps=ACME_OBJECT),
        Check(
            PATCH,
            url("value-dimension-detail", lambda w, v: w.dimension),
            steps=(*ACME_OBJECT, (ADMIN, 403)),
            body=fixed(name="Sweep dimension"),
        ),
    ),
    "objective-list": api(
        Check(
            GET,
            url("objective-list"),
            shows=(
                SHOWS_OBJECTIVE,
                # a visible objective names what it aligns to and contributes to only when one may see it
                (json_ids(lambda w, v: w.move_target, "contributes_to", kr), SEES),
                (json_ids(lambda w, v: w.child[v], "parent", objective), SEES),
            ),
        ),
        Check(
            POST,
            url("objective-list"),
            steps=(*IN_API_BODY, (DEFINES, 403)),
            body=lambda w, v, p: {
                "cycle": w.quarter.pk,
                "team": w.team["checkout"].pk,
                "title": "Swept objective",
                "owner": w.cast.lead.pk,
                "visibility": "team",
                "state": "active",
            },
        ),
    ),
    "objective-detail": api(
        Check(GET, url("objective-detail", objective), VISIBILITIES, OBJECT),
        Check(
            PATCH,
            url("objective-detail", objective),
            VISIBILITIES,
            DEFINITION,
            body=lambda w, v, p: {"title": w.objective[v].title},
        ),
    ),
    "key-result-list": api(
        Check(
            GET,
            url("key-result-list"),
            shows=(
                SHOWS_KR,
                (json_ids(kr, "kfis", lambda w, v: w.metric["growth"]), SEES_KR_AND_GROWTH_METRIC),
            ),
        ),
        Check(
            POST,
            url("key-result-list"),
            VISIBILITIES,
            ((SEES, 400), (DEFINES, 403)),
            body=lambda w, v, p: {**KR_FORM, "objective": w.objective[v].pk, "owner": w.cast.lead.pk},
        ),
    ),
    "key-result-detail": api(
        Check(GET, url("key-result-detail", kr), VISIBILITIES, OBJECT),
        Check(
            PATCH, url("key-result-detail", kr), VISIBILITIES, DEFINITION, body=lambda w, v, p: {"title": w.kr[v].title}
        ),
    ),
    "key-result-values": api(Check(POST, url("key-result-values", kr), VISIBILITIES, CHECK_IN, body=now_iso)),
    "health-metric-list": api(
        Check(GET, url("health-metric-list")),
        Check(
            POST,
            url("health-metric-list"),
            steps=(*IN_API_BODY, (ADDS_METRICS, 403)),
            body=lambda w, v, p: {
                "team": w.team["checkout"].pk,
                "name": "Swept metric",
                "direction": "higher",
                "green_threshold": 60,
                "amber_threshold": 50,
            },
        ),
    ),
    "health-metric-detail": api(
        Check(GET, url("health-metric-detail", metric), METRICS, METRIC),
        Check(
            PATCH,
            url("health-metric-detail", metric),
            METRICS,
            METRIC_WRITE,
            body=lambda w, v, p: {"name": w.metric[v].name},
        ),
    ),
    "health-metric-readings": api(
        Check(POST, url("health-metric-readings", metric), METRICS, METRIC_WRITE, body=now_iso)
    ),
    "check-in-list": api(
        Check(
            GET,
            url("check-in-list"),
            shows=(lambda w, v: f'"id":{w.checkin[v].pk},"key_result":{w.kr[v].pk},', SEES),
        ),
        Check(
            POST,
            url("check-in-list"),
            VISIBILITIES,
            ((SEES, 400), (CHECKS_IN, 403)),
            body=lambda w, v, p: {"key_result": w.kr[v].pk, "value": 30, "confidence": 0.5},
        ),
    ),
    "check-in-detail": api(
        Check(GET, url("check-in-detail", lambda w, v: w.checkin[v]), VISIBILITIES, OBJECT),
        Check(
            PATCH, url("check-in-detail", lambda w, v: w.checkin[v]), VISIBILITIES, CHECK_IN, body=fixed(confidence=0.5)
        ),
    ),
    "metric-reading-list": api(
        Check(GET, url("metric-reading-list")),
        Check(
            POST,
            url("metric-reading-list"),
            METRICS,
            ((SEES_METRIC, 400), (WRITES_METRIC, 403)),
            body=lambda w, v, p: {"metric": w.metric[v].pk, "taken_on": w.today.isoformat(), "value": 57},
        ),
    ),
    "metric-reading-detail": api(
        Check(GET, url("metric-reading-detail", lambda w, v: w.reading[v]), METRICS, METRIC),
        Check(
            PATCH, url("metric-reading-detail", lambda w, v: w.reading[v]), METRICS, METRIC_WRITE, body=fixed(value=56)
        ),
    ),
    "theme-list": api(
        Check(
            GET,
            url("theme-list"),
            shows=(json_ids(lambda w, v: w.theme[v], "objectives", objective), SEES),
        ),
        Check(POST, url("theme-list"), steps=((ROADMAP_ANYWHERE, 403),), body=fixed(title="Swept theme", lane="later")),
    ),
    "theme-detail": api(
        Check(GET, url("theme-detail", lambda w, v: w.theme["company"]), steps=ACME_OBJECT),
        Check(
            PATCH,
            url("theme-detail", lambda w, v: w.theme["company"]),
            steps=(*ACME_OBJECT, (ROADMAP, 403)),
            body=fixed(title="Sweep theme company"),
        ),
    ),
    "epic-list": api(
        Check(GET, url("epic-list")),
        Check(
            POST,
            url("epic-list"),
            TEAMS,
            (*IN_API_BODY, *PLANNING),
            body=lambda w, v, p: {"team": w.team[v].pk, "title": "Swept epic", "status": "open"},
        ),
    ),
    "epic-detail": api(
        Check(GET, url("epic-detail", epic), TEAMS, WORK),
        Check(PATCH, url("epic-detail", epic), TEAMS, PLANNING, body=lambda w, v, p: {"title": w.epic[v].title}),
    ),
    "story-list": api(
        Check(GET, url("story-list")),
        Check(
            POST,
            url("story-list"),
            TEAMS,
            (*IN_API_BODY, *STORY_WRITE),
            body=lambda w, v, p: {"team": w.team[v].pk, "title": "Swept story"},
        ),
    ),
    "story-detail": api(
        Check(GET, url("story-detail", story), TEAMS, WORK),
        Check(PATCH, url("story-detail", story), TEAMS, STORY_WRITE, body=lambda w, v, p: {"title": w.story[v].title}),
    ),
    "sprint-list": api(
        Check(
            GET,
            url("sprint-list"),
            shows=(json_ids(lambda w, v: w.sprint["checkout"], "focus_key_results", kr), SEES),
        ),
        Check(
            POST,
            url("sprint-list"),
            TEAMS,
            (*IN_API_BODY, *PLANNING),
            body=lambda w, v, p: {
                "team": w.team[v].pk,
                "name": "Swept sprint",
                "start_date": "2026-12-01",
                "end_date": "2026-12-14",
            },
        ),
    ),
    "sprint-detail": api(
        Check(GET, url("sprint-detail", sprint), TEAMS, WORK),
        Check(PATCH, url("sprint-detail", sprint), TEAMS, PLANNING, body=lambda w, v, p: {"name": w.sprint[v].name}),
    ),
    "sprint-start": api(Check(POST, url("sprint-start", sprint), TEAMS, PLANNING)),
    "sprint-complete": api(  # a planned sprint: a planner gets the service's refusal (400)
        Check(POST, url("sprint-complete", sprint), TEAMS, PLANNING, body=fixed(), ok=frozenset({400}))
    ),
    "link-list": api(
        Check(GET, url("link-list"), shows=(lambda w, v: f'"id":"s{w.story_link[v].pk}"', SEES)),
        Check(
            POST,
            url("link-list"),
            VISIBILITIES,
            ((SEES, 400), (EDITS_STORIES, 403)),
            body=lambda w, v, p: {"story": w.story[v].pk, "key_result": w.kr[v].pk, "impact_share": 0.3},
        ),
    ),
    "link-detail": api(
        Check(GET, url("link-detail", lambda w, v: f"s{w.story_link[v].pk}"), VISIBILITIES, OBJECT),
        Check(
            DELETE,
            url("link-detail", lambda w, v: f"s{w.story_link[v].pk}"),
            VISIBILITIES,
            (*OBJECT, (EDITS_STORIES, 403)),
        ),
        Check(GET, url("link-detail", lambda w, v: f"e{w.epic_link[v].pk}"), VISIBILITIES, OBJECT),
        Check(DELETE, url("link-detail", lambda w, v: f"e{w.epic_link[v].pk}"), VISIBILITIES, (*OBJECT, (PLANS, 403))),
    ),
    "team-list": api(
        Check(GET, url("team-list")),
        Check(POST, url("team-list"), steps=ADMIN_PAGE, body=fixed(name="Swept team")),
    ),
    "team-detail": api(
        Check(GET, url("team-detail", team), TEAMS, WORK),
        Check(
            PATCH, url("team-detail", team), TEAMS, (*WORK, (ADMIN, 403)), body=lambda w, v, p: {"name": w.team[v].name}
        ),
    ),
}


def test_every_route_is_in_the_table():
    """A route the table does not classify fails here: add its entry (who may see it, who may change it)."""
    routes = route_names()
    missing = sorted(f"{name} ({pattern})" for name, pattern in routes.items() if name not in TABLE)
    stale = sorted(set(TABLE) - set(routes))
    assert not missing, "routes without an entry in the permission sweep's table:\n" + "\n".join(missing)
    assert not stale, "entries of the permission sweep's table without a route:\n" + "\n".join(stale)


@pytest.mark.django_db
def test_every_route_answers_every_persona_as_the_design_says(cast, capsys, settings, monkeypatch):
    # Speed only, nothing a permission depends on: sessions in signed cookies (each request starts from the
    # persona's own, so none is saved); the OpenAPI schema's content is tests/api's business, who may
    # fetch it is this one's, so a stub stands in for the generated schema.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.SESSION_SAVE_EVERY_REQUEST = False
    monkeypatch.setattr(SchemaGenerator, "get_schema", lambda self, request=None, public=False: {"openapi": "3.0.3"})
    monkeypatch.setattr(test_client, "store_rendered_templates", lambda *args, **kwargs: None)  # unread here
    cache.clear()  # throttles (the API's, the token login's) count in the cache
    started, cpu = time.monotonic(), time.process_time()
    world = build_world(cast)
    tally = run(TABLE, world)
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    with capsys.disabled():
        print(
            f"\npermission sweep: {len(TABLE)} routes × {len(PERSONAS)} personas × {len(VISIBILITIES)} visibilities"
            f" (where they apply) = {tally.checks} checks, {tally.unexpected} unexpected"
            f" ({tally.requests} requests, {seconds:.1f} s, {cpu:.1f} s CPU)"
        )
        for finding in tally.findings:
            print(f"  {finding}")
    assert tally.unexpected == 0, f"{tally.unexpected} unexpected answers (listed above)"
