from django.urls import path

from . import api

app_name = "accounts_api"
urlpatterns = [
    path("auth/token/", api.ObtainTokenApi.as_view(), name="token"),
    path("auth/register/", api.RegisterApi.as_view(), name="register"),
    path("auth/token/regenerate/", api.MyTokenApi.as_view(), name="token-regenerate"),
]
