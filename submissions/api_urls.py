from django.urls import path

from . import api

app_name = "submissions_api"
urlpatterns = [
    path("submissions/", api.SubmissionListCreateApi.as_view(), name="submission-list"),
    path("submissions/<int:submission_id>/", api.SubmissionDetailApi.as_view(), name="submission-detail"),
]
