from django.urls import path

from . import api

app_name = "costs_api"
urlpatterns = [
    path("costs/summary/", api.CostSummaryApi.as_view(), name="summary"),
    path("costs/calculator/", api.CostCalculatorApi.as_view(), name="calculator"),
]
