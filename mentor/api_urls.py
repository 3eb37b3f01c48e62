from django.urls import path

from . import api

app_name = "mentor_api"
urlpatterns = [
    path("mentor/conversations/", api.ConversationListApi.as_view(), name="conversations"),
    path("mentor/conversations/<int:pk>/messages/", api.MessageListApi.as_view(), name="messages"),
]
