"""Auth endpoints of the REST API. Throttled against password guessing: DRF's scope "auth"
per client, plus the per-address and per-username attempt counters the log-in and sign-up
pages use (codementor/login_throttle.py)."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from codementor.login_throttle import LoginAttemptThrottle, RegisterAttemptThrottle

from . import services

TokenOut = inline_serializer("TokenOut", {"token": serializers.CharField()})


class _AuthThrottled(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class ObtainTokenApi(_AuthThrottled):
    throttle_classes = [ScopedRateThrottle, LoginAttemptThrottle]
    permission_classes = [AllowAny]
    authentication_classes: list = []  # credentials are in the body; no CSRF dance

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenObtain"

        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    @extend_schema(
        operation_id="auth_token_obtain",
        request=InputSerializer,
        responses={200: TokenOut},
        summary="Exchange a username and password for an API token.",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None or not user.is_active:
            raise AuthenticationFailed("Unable to log in with the provided credentials.")
        return Response({"token": services.token_for(user=user).key})


class RegisterApi(_AuthThrottled):
    throttle_classes = [ScopedRateThrottle, RegisterAttemptThrottle]
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Register"

        username = serializers.CharField(max_length=150)
        email = serializers.EmailField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RegisterResponse"

        token = serializers.CharField()
        username = serializers.CharField()
        email = serializers.EmailField()

    @extend_schema(
        operation_id="auth_register",
        request=InputSerializer,
        responses={201: OutputSerializer},
        summary="Create a student account (Django password rules apply) and get its API token.",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.register_user(**data.validated_data)
        body = {"token": services.token_for(user=user).key, "username": user.username, "email": user.email}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class MyTokenApi(_AuthThrottled):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="auth_token_show", responses={200: TokenOut}, summary="My current API token.")
    def get(self, request):
        return Response({"token": services.token_for(user=request.user).key})

    @extend_schema(
        operation_id="auth_token_regenerate",
        request=None,
        responses={200: TokenOut},
        summary="Replace my API token; the old one stops working.",
    )
    def post(self, request):
        return Response({"token": services.regenerate_token(user=request.user).key})
