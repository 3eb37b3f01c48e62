"""REST contract and permission matrix (anonymous, owner, other student, staff)."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import StaffFactory, UserFactory
from submissions.models import Status, Submission

from .conftest import SUM_OK, make_stdio_problem

pytestmark = pytest.mark.django_db
URL = "/api/v1/submissions/"


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def finished_submission(user, problem):
    tests = [
        {
            "index": 0,
            "sample": True,
            "custom": False,
            "passed": True,
            "verdict": "accepted",
            "time_ms": 5,
            "memory_kb": 900,
            "input": "1 2\n",
            "expected": "3\n",
            "actual": "3\n",
            "stdout": "",
            "stderr": "",
            "message": "",
        },
        {
            "index": 1,
            "sample": False,
            "custom": False,
            "passed": False,
            "verdict": "wrong_answer",
            "time_ms": 6,
            "memory_kb": 900,
            "input": None,
            "expected": None,
            "actual": "secret-ish output",
            "stdout": "",
            "stderr": "trace",
            "message": "boom",
        },
    ]
    return Submission.objects.create(
        user=user,
        problem=problem,
        language="python",
        code=SUM_OK,
        mode="submit",
        status=Status.FINISHED,
        verdict="wrong_answer",
        tests=tests,
        finished_at=timezone.now(),
        internal_error="db host down",
    )


@pytest.fixture
def queued_only(django_capture_on_commit_callbacks):
    """Keep POSTed submissions queued: these tests are about the API, not judging."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        yield callbacks


class TestCreate:
    def test_201_with_id_status_url(self, queued_only):
        problem = make_stdio_problem()
        user = UserFactory()
        response = client_for(user).post(
            URL, {"problem": problem.slug, "language": "python", "code": SUM_OK, "mode": "submit"}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        sub = Submission.objects.get()
        assert body["id"] == sub.pk and body["status"] == "queued" and sub.user == user
        assert body["url"].endswith(f"/api/v1/submissions/{sub.pk}/")
        assert response["Location"] == body["url"]

    def test_run_with_stdin(self, queued_only):
        problem = make_stdio_problem()
        response = client_for(UserFactory()).post(
            URL,
            {"problem": problem.slug, "language": "python", "code": SUM_OK, "mode": "run", "stdin": "3 4\n"},
            format="json",
        )
        assert response.status_code == 201
        assert Submission.objects.get().stdin == "3 4\n"

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"language": "cobol"}, "language"),
            ({"code": ""}, "code"),
            ({"code": "x" * (64 * 1024 + 1)}, "code"),
            ({"problem": "no-such-problem"}, "problem"),
            ({"stdin": "1 2"}, "stdin"),
            ({"mode": "run", "stdin": "y" * (64 * 1024 + 1)}, "stdin"),
            ({"mode": "debug"}, "mode"),
            ({"extra": 1}, "extra"),
        ],
    )
    def test_400_with_field_messages(self, payload, field, queued_only):
        problem = make_stdio_problem()
        data = {"problem": problem.slug, "language": "python", "code": SUM_OK, "mode": "submit", **payload}
        response = client_for(UserFactory()).post(URL, data, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()
        assert not Submission.objects.exists()

    def test_unpublished_problem_is_400(self, queued_only):
        problem = make_stdio_problem(is_published=False)
        response = client_for(UserFactory()).post(
            URL, {"problem": problem.slug, "language": "python", "code": SUM_OK}, format="json"
        )
        assert response.status_code == 400 and "problem" in response.json()

    def test_malformed_json_is_400(self):
        response = client_for(UserFactory()).post(URL, data='{"problem": ', content_type="application/json")
        assert response.status_code == 400
        assert "detail" in response.json()

    def test_json_array_is_400(self):
        response = client_for(UserFactory()).post(URL, data="[1, 2]", content_type="application/json")
        assert response.status_code == 400

    def test_anonymous_cannot_submit(self):
        problem = make_stdio_problem()
        response = client_for().post(
            URL, {"problem": problem.slug, "language": "python", "code": SUM_OK}, format="json"
        )
        assert response.status_code in (401, 403)
        assert not Submission.objects.exists()

    def test_separate_throttles_for_run_and_submit(self, settings, queued_only):
        rates = {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "submission_run": "3/min",
            "submission_submit": "2/min",
        }
        from rest_framework.throttling import SimpleRateThrottle

        old = SimpleRateThrottle.THROTTLE_RATES
        SimpleRateThrottle.THROTTLE_RATES = rates
        try:
            problem = make_stdio_problem()
            client = client_for(UserFactory())
            data = {"problem": problem.slug, "language": "python", "code": SUM_OK}
            assert [client.post(URL, {**data, "mode": "submit"}, format="json").status_code for _ in range(2)] == [
                201,
                201,
            ]
            limited = client.post(URL, {**data, "mode": "submit"}, format="json")
            assert limited.status_code == 429
            assert int(limited["Retry-After"]) > 0
            # Runs have their own budget, untouched by the submits.
            assert [client.post(URL, {**data, "mode": "run"}, format="json").status_code for _ in range(4)] == [
                201,
                201,
                201,
                429,
            ]
            # Another user is not throttled by this one.
            assert client_for(UserFactory()).post(URL, {**data, "mode": "submit"}, format="json").status_code == 201
        finally:
            SimpleRateThrottle.THROTTLE_RATES = old


class TestReadPermissions:
    def test_detail_matrix(self):
        problem = make_stdio_problem()
        owner, other, staff = UserFactory(), UserFactory(), StaffFactory()
        sub = finished_submission(owner, problem)
        url = f"{URL}{sub.pk}/"
        assert client_for().get(url).status_code in (401, 403)
        assert client_for(other).get(url).status_code == 404
        assert client_for(owner).get(url).status_code == 200
        assert client_for(staff).get(url).status_code == 200
        assert client_for(owner).get(f"{URL}999999/").status_code == 404

    def test_owner_sees_hidden_tests_as_counts_only(self):
        problem = make_stdio_problem()
        owner = UserFactory()
        sub = finished_submission(owner, problem)
        body = client_for(owner).get(f"{URL}{sub.pk}/").json()
        for key in ("id", "problem", "language", "mode", "status", "verdict", "cache_hit", "tests", "hidden_tests"):
            assert key in body
        assert body["problem"] == problem.slug and body["verdict"] == "wrong_answer"
        (sample,) = body["tests"]
        assert sample["input"] == "1 2\n" and sample["expected"] == "3\n" and sample["actual"] == "3\n"
        assert body["hidden_tests"] == {
            "total": 1,
            "passed": 0,
            "failed": 1,
            "not_run": 0,
            "first_failure": {"verdict": "wrong_answer", "time_ms": 6},
        }
        assert body["failed_test"] == {"index": None, "sample": False, "verdict": "wrong_answer"}
        assert body["tests_passed"] == 1 and body["tests_total"] == 2
        assert body["memory_kb"] == 900  # the sample's; a hidden test's memory is never shown
        for leak in ("secret-ish output", "trace", "boom", "db host down"):
            assert leak not in str(body)
        assert "internal_error" not in body

    def test_staff_sees_everything_of_another_users_submission(self):
        sub = finished_submission(UserFactory(), make_stdio_problem())
        body = client_for(StaffFactory()).get(f"{URL}{sub.pk}/").json()
        assert body["tests"][1]["actual"] == "secret-ish output"
        assert body["internal_error"] == "db host down"

    def test_list_is_own_only_and_filters_by_problem(self):
        p1, p2 = make_stdio_problem("p-one"), make_stdio_problem("p-two")
        owner, other, staff = UserFactory(), UserFactory(), StaffFactory()
        mine = [finished_submission(owner, p1), finished_submission(owner, p2)]
        finished_submission(other, p1)
        assert client_for().get(URL).status_code in (401, 403)
        body = client_for(owner).get(URL).json()
        assert body["count"] == 2 and {r["id"] for r in body["results"]} == {s.pk for s in mine}
        body = client_for(owner).get(URL, {"problem": "p-one"}).json()
        assert [r["id"] for r in body["results"]] == [mine[0].pk]
        assert "tests" not in body["results"][0]
        assert client_for(other).get(URL).json()["count"] == 1
        assert client_for(staff).get(URL).json()["count"] == 0  # staff browse everyone's in admin


@pytest.mark.django_db(transaction=True)  # real commits: on_commit runs inside the request
class TestDuplicateAnsweredAtSubmit:
    """A program already judged is answered from the result cache inside the POST: the 201
    already carries the verdict, nothing is queued, the ledger has a cost-0 hit."""

    def test_second_identical_submit_is_finished_in_the_201(self, judge0, settings):
        from costs.models import ApiCall

        settings.EXECUTOR_BACKEND = "judge0"
        problem = make_stdio_problem()
        payload = {"problem": problem.slug, "language": "python", "code": SUM_OK, "mode": "submit"}
        first = client_for(UserFactory()).post(URL, payload, format="json")  # a miss: judged by the eager task
        assert first.json()["cache_hit"] is False
        executions = judge0.snapshot()["executions"]

        second = client_for(UserFactory()).post(
            URL, {**payload, "code": SUM_OK.replace("\n", "  # done\n", 1)}, format="json"
        )

        body = second.json()
        assert second.status_code == 201
        assert body["status"] == "finished" and body["verdict"] == "accepted" and body["cache_hit"] is True
        assert judge0.snapshot()["executions"] == executions
        hit = ApiCall.objects.get(reference=f"submission:{body['id']}")
        assert hit.cache_layer == "result" and hit.cost_usd == 0 and hit.executions == 0
        sub = Submission.objects.get(pk=body["id"])
        assert sub.enqueued_at is None  # never sent to the broker
        assert sub.started_at is not None and sub.started_at <= sub.finished_at

    def test_a_miss_is_queued_as_before(self, judge0, settings):
        settings.EXECUTOR_BACKEND = "judge0"
        problem = make_stdio_problem()
        response = client_for(UserFactory()).post(
            URL, {"problem": problem.slug, "language": "python", "code": SUM_OK, "mode": "run"}, format="json"
        )
        assert response.json()["cache_hit"] is False
        sub = Submission.objects.get()
        assert sub.enqueued_at is not None and sub.status == Status.FINISHED  # sent; the eager task judged it
