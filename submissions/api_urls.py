from django.urls import path  # noqa: F401

app_name = "submissions_api"
urlpatterns: list = []
