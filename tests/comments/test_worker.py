"""The mention e-mail goes out from a real Celery worker, after commit (never eager)."""

from __future__ import annotations

import pytest
from django.db import transaction

from comments import services
from comments.access import target_of_key_result
from tests.conftest import stop_worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_mention_email(cast, kr, worker):
    with transaction.atomic():
        services.comment_create(author=cast.lead, target=target_of_key_result(kr), body="@Member over to you")
    from okrapp import system
    from tests.conftest import wait_for

    assert wait_for(lambda: system.queue_depth().messages == 0, timeout=40)
    import time

    time.sleep(2)  # the worker took it; let it finish sending
    stop_worker(worker)
    output = worker.stdout.read()
    # The console e-mail backend prints the message on the worker's output.
    assert "Lead_mentioned_you_on_KR" in output, output[-2000:]  # the subject, MIME-encoded (its quotes)
    assert "To: member@acme.test" in output and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in output
