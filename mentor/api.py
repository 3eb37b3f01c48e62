"""REST API of the mentor: conversations and their messages (owner only)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListCreateAPIView
from rest_framework.response import Response

from problems.models import Problem

from . import selectors, services
from .models import Message


class MessageOutput(serializers.ModelSerializer):
    class Meta:
        model = Message
        ref_name = "MentorMessage"
        fields = [
            "id",
            "role",
            "text",
            "code",
            "language",
            "layer",
            "model",
            "route_reason",
            "tools_used",
            "input_tokens",
            "cached_tokens",
            "output_tokens",
            "thinking_tokens",
            "api_calls",
            "cost_usd",
            "latency_ms",
            "created_at",
        ]


class ConversationListApi(ListCreateAPIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MentorConversationInput"

        problem = serializers.SlugField(required=False, allow_null=True, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MentorConversation"

        id = serializers.IntegerField()
        problem = serializers.CharField(source="problem.slug", read_only=True, allow_null=True)
        summary = serializers.CharField()
        created_at = serializers.DateTimeField()

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.conversation_list(user=self.request.user)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slug = data.validated_data.get("problem")
        problem = None
        if slug:
            problem = Problem.objects.filter(slug=slug, is_published=True).first()
            if problem is None:
                raise serializers.ValidationError({"problem": ["No published problem with this slug."]})
        conversation = services.start_conversation(user=request.user, problem=problem)
        return Response(self.OutputSerializer(conversation).data, status=status.HTTP_201_CREATED)


class MessageListApi(ListCreateAPIView):
    serializer_class = MessageOutput
    pagination_class = None  # a conversation is short; the UI wants it whole

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MentorMessageInput"

        text = serializers.CharField(max_length=settings.MENTOR_MAX_MESSAGE_CHARS, trim_whitespace=True)
        code = serializers.CharField(
            required=False,
            allow_blank=True,
            allow_null=True,
            max_length=settings.SUBMISSION_MAX_CODE_BYTES,
            trim_whitespace=False,
        )
        language = serializers.ChoiceField(
            choices=["python", "javascript", "cpp", "java"], required=False, allow_null=True
        )

    @extend_schema(request=InputSerializer, responses={201: MessageOutput})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def _conversation(self):
        return selectors.conversation_for(user=self.request.user, conversation_id=self.kwargs["pk"])

    def get_queryset(self):
        return selectors.message_list(conversation=self._conversation())

    def create(self, request, *args, **kwargs):
        conversation = self._conversation()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.ask(
            user=request.user,
            conversation=conversation,
            text=data.validated_data["text"],
            code=data.validated_data.get("code"),
            language=data.validated_data.get("language"),
        )
        return Response(MessageOutput(reply).data, status=status.HTTP_201_CREATED)
