from django.urls import path  # noqa: F401

app_name = "problems_api"
urlpatterns: list = []
