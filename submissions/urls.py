from django.urls import path

from . import views

app_name = "submissions"
urlpatterns: list = [
    path("new/", views.create, name="create"),
    path("history/<slug:slug>/", views.history, name="history"),
    path("<int:submission_id>/", views.detail, name="detail"),
    path("<int:submission_id>/result/", views.result, name="result"),
]

# Judge0 PUTs finished submissions here (signed URL; see submissions/judge0_callback.py).
from .judge0_callback import judge0_callback  # noqa: E402

urlpatterns += [
    path("judge0/callback/<str:nonce>/<str:signature>/", judge0_callback, name="judge0_callback"),
]
