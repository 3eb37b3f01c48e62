"""Reads of the mentor app. Users only ever see their own conversations."""

from django.http import Http404

from .models import Conversation, Message


def conversation_for(*, user, conversation_id: int) -> Conversation:
    """The user's own conversation, or Http404 (someone else's does not exist for them)."""
    try:
        return Conversation.objects.select_related("problem").get(pk=conversation_id, user=user)
    except Conversation.DoesNotExist:
        raise Http404("No such conversation.")


def conversation_list(*, user):
    return Conversation.objects.filter(user=user).select_related("problem")


def message_list(*, conversation: Conversation):
    return Message.objects.filter(conversation=conversation).order_by("id")
