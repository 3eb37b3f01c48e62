"""Admin: submission list/detail for staff only, and the rejudge action."""

import pytest
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from submissions.models import Status, Submission

from .conftest import SUM_OK, make_stdio_problem

pytestmark = pytest.mark.django_db


def finished(user, problem):
    return Submission.objects.create(
        user=user,
        problem=problem,
        language="python",
        code=SUM_OK,
        mode="submit",
        status=Status.FINISHED,
        verdict="accepted",
        finished_at=timezone.now(),
    )


def test_staff_see_list_and_detail_students_do_not(client):
    sub = finished(UserFactory(), make_stdio_problem())
    client.force_login(UserFactory())
    assert client.get("/admin/submissions/submission/").status_code == 302  # to the admin login
    client.force_login(StaffFactory())
    listing = client.get("/admin/submissions/submission/")
    assert listing.status_code == 200 and f"/admin/submissions/submission/{sub.pk}/change/" in listing.content.decode()
    assert client.get(f"/admin/submissions/submission/{sub.pk}/change/").status_code == 200
    assert client.get("/admin/submissions/cachedresult/").status_code == 200


def test_rejudge_action_requeues_on_the_rejudge_queue(client, django_capture_on_commit_callbacks):
    problem = make_stdio_problem()
    subs = [finished(UserFactory(), problem) for _ in range(2)]
    client.force_login(StaffFactory())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/admin/submissions/submission/",
            {"action": "rejudge_selected", "_selected_action": [s.pk for s in subs]},
            follow=True,
        )
    assert response.status_code == 200 and "2 submission(s) queued for rejudging" in response.content.decode()
    assert len(callbacks) == 2
    for sub in Submission.objects.filter(pk__in=[s.pk for s in subs]):
        assert sub.status == Status.QUEUED and sub.is_rejudge

    from submissions import services

    assert services.queue_for(Submission.objects.get(pk=subs[0].pk)) == "rejudge"
