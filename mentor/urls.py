from django.urls import path

from . import views

app_name = "mentor"
urlpatterns: list = [
    path("panel/<slug:slug>/", views.panel, name="panel"),
    path("ask/<slug:slug>/", views.ask, name="ask"),
]
