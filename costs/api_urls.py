from django.urls import path  # noqa: F401

app_name = "costs_api"
urlpatterns: list = []
