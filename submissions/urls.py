from django.urls import path  # noqa: F401

app_name = "submissions"
urlpatterns: list = []

# Judge0 PUTs finished submissions here (signed URL; see submissions/judge0_callback.py).
from .judge0_callback import judge0_callback  # noqa: E402

urlpatterns += [
    path("judge0/callback/<str:nonce>/<str:signature>/", judge0_callback, name="judge0_callback"),
]
