"""REST API of submissions (contract in issue #4; REST clients depend on these names).

POST /api/v1/submissions/        {"problem", "language", "code", "mode", "stdin"?} -> 201
GET  /api/v1/submissions/{id}/   owner or staff; anyone else gets 404
GET  /api/v1/submissions/?problem=<slug>   the caller's own submissions
"""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .models import Language, Mode, Submission

# The per-user submission throttle (shared with the workspace form): see services.
SubmissionThrottle = services.SubmissionRateLimit


def _test_out(test: dict) -> dict:
    return {name: test[name] for name in selectors.VISIBLE_FIELDS}


def _hidden_out(hidden: dict | None) -> dict | None:
    if hidden is None:
        return None
    first = hidden["first_failure"]
    return {
        "total": hidden["total"],
        "passed": hidden["passed"],
        "failed": hidden["failed"],
        "not_run": hidden["not_run"],
        "first_failure": None if first is None else {"verdict": first["verdict"], "time_ms": first["time_ms"]},
    }


def submission_out(sub: Submission, *, request, detail: bool) -> dict:
    url = request.build_absolute_uri(reverse("submissions_api:submission-detail", args=[sub.pk]))
    data = {
        "id": sub.pk,
        "url": url,
        "problem": sub.problem.slug,
        "language": sub.language,
        "mode": sub.mode,
        "status": sub.status,
        "verdict": sub.verdict or None,
        "cache_hit": sub.cache_hit,
        "runtime_ms": sub.runtime_ms,
        "memory_kb": selectors.shown_memory_kb(submission=sub, viewer=request.user),
        "created_at": sub.created_at,
        "finished_at": sub.finished_at,
    }
    if detail:
        # The one visibility rule (selectors.visible_result): owners see samples/custom runs
        # in full and hidden tests as counts; staff reading another user's see everything.
        shown = selectors.visible_result(submission=sub, viewer=request.user)
        failing, hidden = shown["failing"], shown["hidden"]
        if failing is not None:
            failed_test = {"index": failing["index"], "sample": failing["sample"], "verdict": failing["verdict"]}
        elif hidden and hidden["first_failure"]:
            failed_test = {"index": None, "sample": False, "verdict": hidden["first_failure"]["verdict"]}
        else:
            failed_test = None
        data.update(
            {
                "code": sub.code,
                "stdin": sub.stdin,
                "executor": sub.executor,
                "compile_output": shown["compile_output"],
                "error_message": sub.error_message,
                "tests": [_test_out(t) for t in shown["tests"]],
                "hidden_tests": _hidden_out(hidden),
                "tests_passed": shown["passed_count"],
                "tests_total": shown["total"],
                "failed_test": failed_test,
            }
        )
        if shown["full"]:
            data["user"] = sub.user.get_username()
            data["internal_error"] = sub.internal_error
    return data


class TestResultSchema(serializers.Serializer):
    """A sample test or custom run (hidden tests appear only in `hidden_tests`, as counts;
    staff reading another user's submission also get hidden entries here). Program output
    is escaped: control characters and invalid UTF-8 bytes arrive as `\\xNN` text."""

    index = serializers.IntegerField()
    sample = serializers.BooleanField()
    custom = serializers.BooleanField()
    passed = serializers.BooleanField()
    verdict = serializers.CharField()
    time_ms = serializers.IntegerField(allow_null=True)
    memory_kb = serializers.IntegerField(allow_null=True)
    input = serializers.CharField(allow_null=True)
    expected = serializers.CharField(allow_null=True)
    actual = serializers.CharField(allow_null=True)
    stdout = serializers.CharField()
    stderr = serializers.CharField()
    message = serializers.CharField()


class HiddenFailureSchema(serializers.Serializer):
    verdict = serializers.CharField()
    time_ms = serializers.IntegerField(allow_null=True)


class HiddenTestsSchema(serializers.Serializer):
    """Hidden tests as counts: no index, no data, no per-test pass/fail list."""

    total = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    not_run = serializers.IntegerField()
    first_failure = HiddenFailureSchema(allow_null=True)


class SubmissionSchema(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    problem = serializers.SlugField()
    language = serializers.ChoiceField(choices=Language.values)
    mode = serializers.ChoiceField(choices=Mode.values)
    status = serializers.ChoiceField(choices=["queued", "running", "finished"])
    verdict = serializers.CharField(allow_null=True)
    cache_hit = serializers.BooleanField()
    runtime_ms = serializers.IntegerField(allow_null=True)
    memory_kb = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class SubmissionDetailSchema(SubmissionSchema):
    code = serializers.CharField()
    stdin = serializers.CharField(allow_null=True)
    executor = serializers.CharField()
    compile_output = serializers.CharField()
    error_message = serializers.CharField()
    tests = TestResultSchema(many=True)
    hidden_tests = HiddenTestsSchema(allow_null=True)
    tests_passed = serializers.IntegerField()
    tests_total = serializers.IntegerField()
    failed_test = serializers.DictField(
        allow_null=True, help_text="{index, sample, verdict}; index is null for a hidden test"
    )


class SubmissionListCreateApi(APIView):
    """New submissions are throttled per user inside services.create_submission (the
    workspace form shares the counters)."""

    class InputSerializer(serializers.Serializer):
        problem = serializers.SlugField(max_length=100)
        language = serializers.ChoiceField(choices=Language.values)
        code = serializers.CharField(trim_whitespace=False, allow_blank=True)
        mode = serializers.ChoiceField(choices=Mode.values, default=Mode.SUBMIT)
        stdin = serializers.CharField(trim_whitespace=False, allow_blank=True, allow_null=True, required=False)

        def validate(self, attrs):
            unknown = set(self.initial_data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
            return attrs

    @extend_schema(request=InputSerializer, responses={201: SubmissionSchema}, operation_id="submissions_create")
    def post(self, request):
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            submission = services.create_submission(
                user=request.user,
                problem_slug=data["problem"],
                language=data["language"],
                code=data["code"],
                mode=data["mode"],
                stdin=data.get("stdin"),
            )
        except services.SubmissionThrottled as exc:
            raise exceptions.Throttled(wait=exc.wait) from exc
        submission.refresh_from_db()  # eager Celery (embedded default) may have judged it already
        body = submission_out(submission, request=request, detail=False)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})

    @extend_schema(
        parameters=[OpenApiParameter("problem", str, description="Only this problem's submissions (slug)")],
        responses={200: SubmissionSchema(many=True)},
        operation_id="submissions_list",
    )
    def get(self, request):
        qs = selectors.submission_list(user=request.user, problem_slug=request.query_params.get("problem") or None)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([submission_out(s, request=request, detail=False) for s in page])


class SubmissionDetailApi(APIView):
    @extend_schema(responses={200: SubmissionDetailSchema}, operation_id="submissions_retrieve")
    def get(self, request, submission_id: int):
        submission = selectors.submission_for(user=request.user, submission_id=submission_id)
        if submission is None:
            raise Http404
        return Response(submission_out(submission, request=request, detail=True))
