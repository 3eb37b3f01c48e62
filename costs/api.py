"""Staff JSON API of the cost control room: summary of a period, calculator scenarios.

Money is rendered as strings (Decimal), never as floats.
"""

from dataclasses import asdict, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .calculator import CalculatorInputs, scenarios
from .models import Feature, Provider
from .periods import PERIOD_CHOICES, resolve_period


def jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value):
        return jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class CostSummaryApi(APIView):
    """GET /api/v1/costs/summary/?period=today|7d|mtd|custom&start=&end=&provider=&feature="""

    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer):
        period = serializers.ChoiceField(choices=[k for k, _ in PERIOD_CHOICES], default="mtd")
        start = serializers.DateField(required=False)
        end = serializers.DateField(required=False)
        provider = serializers.ChoiceField(choices=Provider.values, required=False)
        feature = serializers.ChoiceField(choices=Feature.values, required=False)

        def validate(self, attrs):
            if attrs["period"] == "custom" and not (attrs.get("start") and attrs.get("end")):
                raise serializers.ValidationError("a custom period needs start and end dates")
            return attrs

    @extend_schema(parameters=[InputSerializer], responses=OpenApiTypes.OBJECT, tags=["costs"])
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        period = resolve_period(p["period"], now=timezone.now(), start=p.get("start"), end=p.get("end"))
        data = selectors.dashboard(period=period, provider=p.get("provider", ""), feature=p.get("feature", ""))
        data["period"] = {"key": period.key, "start": period.start, "end": period.end}
        data["counterfactual_note"] = (
            "Counterfactual: baseline = what the same traffic would have cost without caches, batching and routing; "
            "savings = baseline - spend"
        )
        return Response(jsonable(data))


class CostCalculatorApi(APIView):
    """GET /api/v1/costs/calculator/?users=...: monthly scenarios; omitted inputs come from the ledger."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        parameters=[OpenApiParameter(f.name, str, required=False) for f in fields(CalculatorInputs)],
        responses=OpenApiTypes.OBJECT,
        tags=["costs"],
    )
    def get(self, request):
        measured = selectors.measured_averages()
        try:
            inputs = CalculatorInputs.from_mapping(request.query_params, base=selectors.calculator_defaults(measured))
        except ValueError as exc:
            raise serializers.ValidationError({"detail": str(exc)})
        return Response(jsonable({**scenarios(inputs), "measured": measured}))
