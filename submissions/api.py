"""REST API of submissions (contract in issue #4; REST clients depend on these names).

POST /api/v1/submissions/        {"problem", "language", "code", "mode", "stdin"?} -> 201
GET  /api/v1/submissions/{id}/   owner or staff; anyone else gets 404
GET  /api/v1/submissions/?problem=<slug>   the caller's own submissions
"""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from . import selectors, services
from .models import Language, Mode, Submission


class SubmissionThrottle(SimpleRateThrottle):
    """Per-user throttle on POST only, with separate scopes for run and submit."""

    def allow_request(self, request, view):
        if request.method != "POST" or not request.user.is_authenticated:
            return True
        mode = request.data.get("mode", Mode.SUBMIT) if isinstance(request.data, dict) else Mode.SUBMIT
        self.scope = "submission_run" if mode == Mode.RUN else "submission_submit"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        if not getattr(self, "scope", None):
            return None
        return super().get_rate()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


def _test_out(test: dict, *, full: bool) -> dict:
    out = {
        "index": test["index"],
        "sample": test["sample"],
        "passed": test["passed"],
        "time_ms": test.get("time_ms"),
    }
    if full or test["sample"]:
        out.update({
            "custom": test.get("custom", False),
            "verdict": test.get("verdict"),
            "input": test.get("input"),
            "expected": test.get("expected"),
            "actual": test.get("actual"),
            "stdout": test.get("stdout", ""),
            "stderr": test.get("stderr", ""),
            "message": test.get("message", ""),
            "memory_kb": test.get("memory_kb"),
        })
    return out


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
        "memory_kb": sub.memory_kb,
        "created_at": sub.created_at,
        "finished_at": sub.finished_at,
    }
    if detail:
        # Staff reading another user's submission see everything (support); owners see
        # hidden tests as pass/fail and time only.
        full = request.user.is_staff and sub.user_id != request.user.pk
        tests = selectors.per_test_results(submission=sub)
        failed = next((t for t in tests if not t["passed"]), None)
        data.update({
            "code": sub.code,
            "stdin": sub.stdin,
            "executor": sub.executor,
            "compile_output": sub.compile_output,
            "error_message": sub.error_message,
            "tests": [_test_out(t, full=full) for t in tests],
            "failed_test": {"index": failed["index"], "sample": failed["sample"]} if failed else None,
        })
        if full:
            data["user"] = sub.user.get_username()
            data["internal_error"] = sub.internal_error
    return data


class TestResultSchema(serializers.Serializer):
    """Hidden tests carry only index, sample, passed and time_ms."""

    index = serializers.IntegerField()
    sample = serializers.BooleanField()
    passed = serializers.BooleanField()
    time_ms = serializers.IntegerField(allow_null=True)
    custom = serializers.BooleanField(required=False)
    verdict = serializers.CharField(required=False)
    input = serializers.CharField(required=False, allow_null=True)
    expected = serializers.CharField(required=False, allow_null=True)
    actual = serializers.CharField(required=False, allow_null=True)
    stdout = serializers.CharField(required=False)
    stderr = serializers.CharField(required=False)
    message = serializers.CharField(required=False)
    memory_kb = serializers.IntegerField(required=False, allow_null=True)


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
    failed_test = serializers.DictField(allow_null=True)


class SubmissionListCreateApi(APIView):
    throttle_classes = [SubmissionThrottle]

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
        problem = selectors.published_problem(slug=data["problem"])
        submission = services.submit_code(
            user=request.user,
            problem=problem,
            language=data["language"],
            code=data["code"],
            mode=data["mode"],
            stdin=data.get("stdin"),
        )
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
