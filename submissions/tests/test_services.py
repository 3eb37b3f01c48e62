"""The pipeline services on the real PostgreSQL and Redis, executing through the Judge0
executor against the stand-in server (which really runs the programs)."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from costs.models import ApiCall
from problems.models import ProblemProgress
from problems.tests.factories import ProblemFactory
from submissions import services
from submissions.executors.base import RetryableExecutorError
from submissions.models import CachedResult, Status, Submission

from .conftest import SUM_HIDDEN_WRONG, SUM_OK, SUM_WRONG, make_stdio_problem

pytestmark = pytest.mark.django_db


def _submit(user, problem, code, *, mode="submit", stdin=None, language="python"):
    # Not through submit_code's on_commit: these tests judge explicitly.
    return Submission.objects.create(user=user, problem=problem, language=language, code=code, mode=mode, stdin=stdin)


class TestSubmitCode:
    def test_stores_a_queued_submission_and_enqueues_on_commit(self, django_capture_on_commit_callbacks):
        problem = make_stdio_problem()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            sub = services.submit_code(
                user=UserFactory(), problem=problem, language="python", code=SUM_OK, mode="submit"
            )
        assert sub.status == Status.QUEUED
        assert len(callbacks) == 1

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"language": "cobol"}, "language"),
            ({"code": "   \n"}, "code"),
            ({"code": "x" * (64 * 1024 + 1)}, "code"),
            ({"mode": "submit", "stdin": "1 2"}, "stdin"),
            ({"mode": "run", "stdin": "x" * (64 * 1024 + 1)}, "stdin"),
            ({"mode": "later"}, "mode"),
        ],
    )
    def test_rejects_bad_input_with_field_messages(self, kwargs, field):
        problem = make_stdio_problem()
        args = {"user": UserFactory(), "problem": problem, "language": "python", "code": SUM_OK, "mode": "submit"}
        with pytest.raises(ValidationError) as info:
            services.submit_code(**{**args, **kwargs})
        assert field in info.value.message_dict
        assert not Submission.objects.exists()

    def test_rejects_unpublished_problem(self):
        problem = make_stdio_problem(is_published=False)
        with pytest.raises(ValidationError) as info:
            services.submit_code(user=UserFactory(), problem=problem, language="python", code=SUM_OK, mode="run")
        assert "problem" in info.value.message_dict

    def test_custom_input_of_a_function_problem_must_be_the_arguments(self):
        problem = ProblemFactory()
        user = UserFactory()
        with pytest.raises(ValidationError) as info:
            services.submit_code(
                user=user, problem=problem, language="python", code="def add(a, b): return a+b", mode="run", stdin="1 2"
            )
        assert '{"a": 0, "b": 0}' in info.value.message_dict["stdin"][0]
        ok = services.submit_code(
            user=user,
            problem=problem,
            language="python",
            code="def add(a, b): return a+b",
            mode="run",
            stdin='{"a": 1, "b": 2}',
        )
        assert ok.stdin == '{"a": 1, "b": 2}'


class TestJudging:
    def test_accepted_stores_results_ledger_and_progress_once(self, judge0_executor, judge0):
        user = UserFactory()
        problem = make_stdio_problem()
        sub = _submit(user, problem, SUM_OK)
        done = services.judge_submission(submission_id=sub.pk, executor=judge0_executor)
        assert done.status == Status.FINISHED
        assert done.verdict == "accepted"
        assert [t["passed"] for t in done.tests] == [True] * 4
        assert [t["sample"] for t in done.tests] == [True, True, False, False]
        # Hidden test data never lands on the submission.
        assert done.tests[2]["input"] is None and done.tests[2]["expected"] is None
        assert done.tests[0]["input"] == "1 2\n"
        assert done.executor == "judge0" and not done.cache_hit and done.content_key

        (call,) = ApiCall.objects.filter(reference=f"submission:{sub.pk}")
        assert call.provider == "judge0" and call.operation == "execute" and call.model == "python"
        assert call.feature == "submission" and call.problem_slug == problem.slug
        assert call.executions == judge0.snapshot()["executions"] == 1  # one Judge0 submission for 4 tests
        assert call.http_requests >= 2 and call.baseline_executions == 4
        assert call.cost_usd > 0

        # A redelivered task finds it finished: nothing runs, nothing is counted twice.
        again = services.judge_submission(submission_id=sub.pk, executor=judge0_executor)
        assert again.verdict == "accepted"
        assert ApiCall.objects.filter(reference=f"submission:{sub.pk}").count() == 1
        progress = ProblemProgress.objects.get(user=user, problem=problem)
        assert progress.attempts == 1 and progress.solved

    def test_wrong_answer_names_the_failing_sample(self, judge0_executor):
        sub = _submit(UserFactory(), make_stdio_problem(), SUM_WRONG)
        done = services.judge_submission(submission_id=sub.pk, executor=judge0_executor)
        assert done.verdict == "wrong_answer"
        first_failed = next(t for t in done.tests if not t["passed"])
        assert first_failed["index"] == 0 and first_failed["sample"]
        assert first_failed["actual"].strip() == "2" and first_failed["expected"] == "3\n"

    def test_run_uses_samples_only_and_does_not_touch_progress(self, judge0_executor, judge0):
        user = UserFactory()
        problem = make_stdio_problem()
        sub = _submit(user, problem, SUM_HIDDEN_WRONG, mode="run")
        done = services.judge_submission(submission_id=sub.pk, executor=judge0_executor)
        assert done.verdict == "accepted" and len(done.tests) == 2
        assert judge0.snapshot()["executions"] == 1
        assert ApiCall.objects.get(reference=f"submission:{sub.pk}").feature == "run"
        assert not ProblemProgress.objects.filter(user=user).exists()

    def test_run_with_custom_input(self, judge0_executor):
        sub = _submit(UserFactory(), make_stdio_problem(), SUM_OK, mode="run", stdin="40 2\n")
        done = services.judge_submission(submission_id=sub.pk, executor=judge0_executor)
        (test,) = done.tests
        assert test["custom"] and test["input"] == "40 2\n" and test["actual"].strip() == "42"
        assert test["expected"] is None

    def test_hidden_failure_is_reported_without_its_data(self, judge0_executor):
        sub = _submit(UserFactory(), make_stdio_problem(), SUM_HIDDEN_WRONG)
        done = services.judge_submission(submission_id=sub.pk, executor=judge0_executor)
        assert done.verdict == "wrong_answer"
        failed = next(t for t in done.tests if not t["passed"])
        assert not failed["sample"] and failed["input"] is None and failed["expected"] is None


class TestResultCache:
    def test_resubmission_is_a_cache_hit_with_zero_executions(self, judge0_executor, judge0):
        problem = make_stdio_problem()
        first = services.judge_submission(
            submission_id=_submit(UserFactory(), problem, SUM_OK).pk, executor=judge0_executor
        )
        spent = judge0.snapshot()["executions"]
        other_user = UserFactory()
        second = services.judge_submission(
            submission_id=_submit(other_user, problem, SUM_OK).pk, executor=judge0_executor
        )
        assert judge0.snapshot()["executions"] == spent
        assert second.cache_hit and second.verdict == first.verdict == "accepted"
        assert second.content_key == first.content_key
        hit = ApiCall.objects.get(reference=f"submission:{second.pk}")
        assert hit.cache_layer == "result" and hit.executions == 0 and hit.cost_usd == 0
        assert hit.baseline_executions == 4 and hit.baseline_cost_usd > 0
        # A cache hit is still a judged submission for the user's progress.
        assert ProblemProgress.objects.get(user=other_user, problem=problem).attempts == 1

    def test_whitespace_and_comment_changes_hit_real_changes_miss(self, judge0_executor, judge0):
        problem = make_stdio_problem()
        user = UserFactory()
        services.judge_submission(submission_id=_submit(user, problem, SUM_OK).pk, executor=judge0_executor)
        # Same lines, same tokens: only CRLF, trailing blanks and a comment differ (docs/pipeline.md).
        cosmetic = "a, b = map(int, input().split())   \r\nprint(a + b)  # done\r\n"
        hit = services.judge_submission(submission_id=_submit(user, problem, cosmetic).pk, executor=judge0_executor)
        assert hit.cache_hit
        changed = "a, b = map(int, input().split())\nprint(b + a)\n"
        miss = services.judge_submission(submission_id=_submit(user, problem, changed).pk, executor=judge0_executor)
        assert not miss.cache_hit and miss.verdict == "accepted"
        assert judge0.snapshot()["executions"] == 2

    def test_mode_and_custom_input_are_part_of_the_key(self, judge0_executor):
        problem = make_stdio_problem()
        user = UserFactory()
        run = services.judge_submission(
            submission_id=_submit(user, problem, SUM_OK, mode="run").pk, executor=judge0_executor
        )
        custom = services.judge_submission(
            submission_id=_submit(user, problem, SUM_OK, mode="run", stdin="1 1\n").pk, executor=judge0_executor
        )
        submit = services.judge_submission(submission_id=_submit(user, problem, SUM_OK).pk, executor=judge0_executor)
        assert len({run.content_key, custom.content_key, submit.content_key}) == 3
        assert not (run.cache_hit or custom.cache_hit or submit.cache_hit)

    def test_changed_tests_invalidate(self, judge0_executor):
        problem = make_stdio_problem()
        user = UserFactory()
        first = services.judge_submission(submission_id=_submit(user, problem, SUM_OK).pk, executor=judge0_executor)
        problem.test_cases.filter(is_sample=False).update(expected_output="999\n")  # version not bumped
        second = services.judge_submission(submission_id=_submit(user, problem, SUM_OK).pk, executor=judge0_executor)
        assert second.content_key != first.content_key and not second.cache_hit
        assert second.verdict == "wrong_answer"

    def test_redis_flush_loses_no_paid_result(self, judge0_executor, judge0):
        problem = make_stdio_problem()
        services.judge_submission(submission_id=_submit(UserFactory(), problem, SUM_OK).pk, executor=judge0_executor)
        assert CachedResult.objects.count() == 1
        cache.delete_pattern("*")
        again = services.judge_submission(
            submission_id=_submit(UserFactory(), problem, SUM_OK).pk, executor=judge0_executor
        )
        assert again.cache_hit and judge0.snapshot()["executions"] == 1
        assert CachedResult.objects.get().hits == 1

    def test_rejudge_bypasses_the_cache(self, judge0_executor, judge0, django_capture_on_commit_callbacks):
        user = UserFactory()
        problem = make_stdio_problem()
        sub = services.judge_submission(submission_id=_submit(user, problem, SUM_OK).pk, executor=judge0_executor)
        with django_capture_on_commit_callbacks(execute=False):
            services.rejudge(submissions=Submission.objects.filter(pk=sub.pk))
        assert Submission.objects.get(pk=sub.pk).status == Status.QUEUED
        done = services.judge_submission(submission_id=sub.pk, executor=judge0_executor)
        assert done.verdict == "accepted" and not done.cache_hit
        assert judge0.snapshot()["executions"] == 2
        calls = ApiCall.objects.filter(reference=f"submission:{sub.pk}").order_by("id")
        assert [c.feature for c in calls] == ["submission", "rejudge"]
        assert ProblemProgress.objects.get(user=user, problem=problem).attempts == 1


class TestFailures:
    def test_busy_executor_raises_retryable_and_requeues(self, judge0_executor, judge0):
        sub = _submit(UserFactory(), make_stdio_problem(), SUM_OK)
        judge0.inject(status=503, count=50, body={"error": "queue is full"})
        with pytest.raises(RetryableExecutorError):
            services.judge_submission(submission_id=sub.pk, executor=judge0_executor)
        sub.refresh_from_db()
        assert sub.status == Status.QUEUED and sub.attempts == 1
        failed = ApiCall.objects.get(reference=f"submission:{sub.pk}")
        assert failed.status == "error" and failed.executions == 0

        done = services.fail_submission(submission_id=sub.pk, reason="executor unavailable")
        assert done.status == Status.FINISHED and done.verdict == "system_error"
        assert "busy or unavailable" in done.error_message
        assert not ProblemProgress.objects.exists()

    def test_sweep_enqueues_what_the_broker_never_got(
        self, judge0_executor, settings, django_capture_on_commit_callbacks
    ):
        from datetime import timedelta

        from django.utils import timezone

        sub = _submit(UserFactory(), make_stdio_problem(), SUM_OK)
        later = timezone.now() + timedelta(seconds=settings.SUBMISSION_UNSENT_GRACE + 1)
        settings.EXECUTOR_BACKEND = "judge0"
        counts = services.requeue_stuck_submissions(now=later)
        assert counts["enqueued"] == 1
        sub.refresh_from_db()
        assert sub.enqueued_at is not None and sub.sweeps == 1

    def test_sweep_gives_up_as_system_error(self, settings):
        from datetime import timedelta

        from django.utils import timezone

        sub = _submit(UserFactory(), make_stdio_problem(), SUM_OK)
        Submission.objects.filter(pk=sub.pk).update(
            status=Status.RUNNING, started_at=timezone.now() - timedelta(hours=1), sweeps=settings.SUBMISSION_MAX_SWEEPS
        )
        counts = services.requeue_stuck_submissions()
        assert counts["failed"] == 1
        sub.refresh_from_db()
        assert sub.status == Status.FINISHED and sub.verdict == "system_error"


class TestUnoptimizedBaseline:
    """bench/baseline.py (the "off" replay of bench/pipeline.py) is outside the production
    services but uses their steps: one executor call per test, no cache."""

    def test_one_executor_call_per_test_and_no_cache(self, judge0_executor, judge0):
        from bench.baseline import judge_unoptimized

        problem = make_stdio_problem()
        subs = [
            judge_unoptimized(
                submission_id=_submit(UserFactory(), problem, SUM_HIDDEN_WRONG).pk, executor=judge0_executor
            )
            for _ in range(2)
        ]
        assert [s.verdict for s in subs] == ["wrong_answer", "wrong_answer"]
        assert [t["passed"] for t in subs[0].tests] == [True, True, False, False]
        assert not any(s.cache_hit for s in subs) and not CachedResult.objects.exists()
        calls = ApiCall.objects.filter(reference=f"submission:{subs[1].pk}")
        assert calls.count() == 4 and {c.executions for c in calls} == {1}
        assert judge0.snapshot()["executions"] == 8


def test_a_deleted_submission_is_nothing_to_judge(judge0_executor):
    sub = _submit(UserFactory(), make_stdio_problem(), SUM_OK)
    sub_id = sub.pk
    sub.delete()
    assert services.judge_submission(submission_id=sub_id, executor=judge0_executor) is None


@pytest.mark.django_db(transaction=True)
def test_task_retries_on_a_dropped_database_connection(judge0, settings):
    """PostgreSQL drops the worker's connection (restart, failover): the task retries on a
    fresh connection instead of failing and waiting for the sweep."""
    import psycopg
    from django.db import connection

    from submissions.tasks import judge_submission as judge_task

    settings.EXECUTOR_BACKEND = "judge0"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    submission = _submit(UserFactory(), make_stdio_problem(), SUM_OK)
    pid = connection.cursor().connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(
        host=params.get("host"), port=params.get("port"), user=params.get("user"), dbname="postgres", autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    outcome = judge_task.apply(args=[submission.pk])

    assert outcome.successful(), outcome.traceback
    assert outcome.result == "accepted"
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED and submission.verdict == "accepted"
