from django.urls import path

from . import api

app_name = "problems_api"
urlpatterns = [
    path("problems/", api.ProblemListApi.as_view(), name="problem-list"),
    path("problems/<slug:slug>/", api.ProblemDetailApi.as_view(), name="problem-detail"),
    path("topics/", api.TopicListApi.as_view(), name="topic-list"),
    path("me/progress/", api.MyProgressApi.as_view(), name="my-progress"),
    path("me/recommendations/", api.MyRecommendationsApi.as_view(), name="my-recommendations"),
]
