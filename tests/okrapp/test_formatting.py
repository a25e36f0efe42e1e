from datetime import UTC, datetime, timedelta

import pytest

from okrapp.templatetags.okrapp_tags import ago, ago_text

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=2), "just now"),
        (timedelta(seconds=12), "12 seconds ago"),
        (timedelta(minutes=3, seconds=10), "3 minutes ago"),
        (timedelta(days=2, hours=5), "2 days ago"),
        (timedelta(minutes=-5), "in 5 minutes"),
    ],
)
def test_ago_text(delta, text):
    assert ago_text(NOW - delta, NOW) == text


def test_ago_tag_has_exact_time_on_hover(settings):
    html = ago(NOW - timedelta(minutes=1), NOW)
    assert html.startswith('<time datetime="2026-11-23T11:59:00+00:00" title="Mon 23 Nov 2026, 11:59:00">')
    assert ago(None) == ""


def test_org_today_follows_the_time_zone():
    from okrapp.models import Organisation
    from okrapp.timeutil import org_today

    late_sunday_utc = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert str(org_today(Organisation(time_zone="UTC"), late_sunday_utc)) == "2026-11-22"
    assert str(org_today(Organisation(time_zone="Europe/Berlin"), late_sunday_utc)) == "2026-11-23"  # Monday there
