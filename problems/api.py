"""REST API of the catalog (`/api/v1/`): thin views over problems.selectors.

Anonymous clients may browse published problems (read-only); everything personal
(`me/...`, the status filter) needs a token or a session.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import public_cache, selectors
from .models import Difficulty, Problem


class TopicBrief(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class ProblemSampleSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ProblemSample"

    order = serializers.IntegerField()
    input = serializers.CharField()
    expected_output = serializers.CharField()
    explanation = serializers.CharField(allow_blank=True)


class TopicMasterySerializer(serializers.Serializer):
    class Meta:
        ref_name = "TopicMastery"

    topic = serializers.SlugField()
    name = serializers.CharField()
    solved = serializers.IntegerField()
    attempted = serializers.IntegerField()
    total = serializers.IntegerField()


class ActivityDaySerializer(serializers.Serializer):
    class Meta:
        ref_name = "ActivityDay"

    day = serializers.DateField()
    submissions = serializers.IntegerField()
    accepted = serializers.IntegerField()


class ProblemListApi(ListAPIView):
    permission_classes = [AllowAny]
    # Known query parameters; anything else is a typo the client should hear about.
    ALLOWED_PARAMS = {"difficulty", "topic", "status", "search", "page", "format"}

    class OutputSerializer(serializers.ModelSerializer):
        topics = TopicBrief(many=True)
        status = serializers.SerializerMethodField(help_text="solved | attempted | unsolved; null when anonymous")

        class Meta:
            ref_name = "ProblemListItem"
            model = Problem
            fields = ["slug", "title", "difficulty", "kind", "topics", "status"]

        def get_status(self, obj) -> str | None:
            return selectors.problem_status(obj)

    class FilterSerializer(serializers.Serializer):
        difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
        topic = serializers.SlugField(required=False)
        status = serializers.ChoiceField(choices=selectors.STATUSES, required=False)
        search = serializers.CharField(required=False, max_length=100)

    serializer_class = OutputSerializer

    def get_queryset(self):
        unknown = sorted(set(self.request.query_params) - self.ALLOWED_PARAMS)
        if unknown:
            raise ValidationError(
                {
                    "detail": f"Unknown query parameter(s): {', '.join(unknown)}. "
                    f"Allowed: {', '.join(sorted(self.ALLOWED_PARAMS - {'format'}))}."
                }
            )
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if "status" in filters.validated_data and not self.request.user.is_authenticated:
            raise NotAuthenticated("The status filter needs an authenticated user.")
        return selectors.problem_list(user=self.request.user, **filters.validated_data)

    @extend_schema(
        operation_id="problems_list",
        parameters=[
            OpenApiParameter("difficulty", OpenApiTypes.STR, enum=Difficulty.values),
            OpenApiParameter("topic", OpenApiTypes.STR, description="Topic slug"),
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=list(selectors.STATUSES), description="Needs authentication"
            ),
            OpenApiParameter("search", OpenApiTypes.STR, description="Case-insensitive match on the title"),
        ],
        summary="Published problems (filters, search, pagination). Unknown parameters answer 400.",
    )
    def get(self, request, *args, **kwargs):
        build = super().get
        return public_cache.serve(request, lambda: build(request, *args, **kwargs))


class ProblemDetailApi(APIView):
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProblemDetail"

        slug = serializers.SlugField()
        title = serializers.CharField()
        difficulty = serializers.CharField()
        kind = serializers.CharField()
        topics = TopicBrief(many=True)
        statement_html = serializers.CharField(help_text="Sanitized HTML rendered from the Markdown statement")
        signature = serializers.JSONField(help_text="{function, params:[{name,type}], returns}; {} for stdio")
        signature_text = serializers.CharField()
        time_limit_ms = serializers.IntegerField()
        memory_limit_mb = serializers.IntegerField()
        starter_code = serializers.DictField(child=serializers.CharField(), help_text="By language")
        samples = ProblemSampleSerializer(many=True)
        test_set_version = serializers.CharField()

    @extend_schema(
        operation_id="problems_retrieve",
        responses=OutputSerializer,
        summary="One published problem: statement, signature, starter code, samples only.",
    )
    def get(self, request, slug: str):
        return public_cache.serve(request, lambda: self._answer(slug))

    def _answer(self, slug: str) -> Response:
        problem = selectors.published_problem(slug=slug)
        data = {
            "slug": problem.slug,
            "title": problem.title,
            "difficulty": problem.difficulty,
            "kind": problem.kind,
            "topics": problem.topics.all(),
            "statement_html": problem.statement_html,
            "signature": problem.signature,
            "signature_text": selectors.signature_text(problem=problem),
            "time_limit_ms": problem.time_limit_ms,
            "memory_limit_mb": problem.memory_limit_mb,
            "starter_code": selectors.starter_codes(problem=problem),
            "samples": selectors.sample_tests(problem=problem),
            "test_set_version": problem.test_set_version,
        }
        return Response(self.OutputSerializer(data).data)


class TopicListApi(APIView):
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TopicWithCount"

        slug = serializers.SlugField()
        name = serializers.CharField()
        problem_count = serializers.IntegerField()

    @extend_schema(
        operation_id="topics_list",
        responses=OutputSerializer(many=True),
        summary="Topics that have published problems.",
    )
    def get(self, request):
        return Response(self.OutputSerializer(selectors.topic_list(), many=True).data)


class MyProgressApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MyProgress"

        solved = serializers.DictField(child=serializers.IntegerField(), help_text="total, easy, medium, hard")
        totals = serializers.DictField(child=serializers.IntegerField(), help_text="Published problems")
        attempted = serializers.IntegerField()
        attempted_unsolved = serializers.IntegerField()
        submissions = serializers.IntegerField()
        current_streak = serializers.IntegerField()
        longest_streak = serializers.IntegerField()
        solved_today = serializers.BooleanField()
        topics = TopicMasterySerializer(many=True)
        activity = ActivityDaySerializer(many=True)

    @extend_schema(
        operation_id="me_progress",
        parameters=[OpenApiParameter("days", OpenApiTypes.INT, description="Activity series length (1-366)")],
        responses=OutputSerializer,
        summary="My solved counts, streaks (UTC days), topic mastery and day-by-day activity.",
    )
    def get(self, request):
        try:
            days = int(request.query_params.get("days", 365))
        except ValueError:
            raise ValidationError({"days": "must be an integer"})
        if not 1 <= days <= 366:
            raise ValidationError({"days": "must be between 1 and 366"})
        data = selectors.progress_summary(user=request.user)
        data["activity"] = selectors.activity_series(user=request.user, days=days)
        return Response(self.OutputSerializer(data).data)


class MyRecommendationsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_recommendations",
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1-10, default 3")],
        responses=inline_serializer(
            "Recommendation",
            {
                "slug": serializers.SlugField(),
                "title": serializers.CharField(),
                "difficulty": serializers.CharField(),
                "reason": serializers.CharField(),
            },
            many=True,
        ),
        summary="The next problems to try, each with a one-sentence reason.",
    )
    def get(self, request):
        try:
            limit = int(request.query_params.get("limit", 3))
        except ValueError:
            raise ValidationError({"limit": "must be an integer"})
        if not 1 <= limit <= 10:
            raise ValidationError({"limit": "must be between 1 and 10"})
        picks = selectors.recommended_problems(user=request.user, limit=limit)
        return Response(
            [
                {
                    "slug": r.problem.slug,
                    "title": r.problem.title,
                    "difficulty": r.problem.difficulty,
                    "reason": r.reason,
                }
                for r in picks
            ]
        )
