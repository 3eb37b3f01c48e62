from django.urls import path

from . import views

app_name = "costs"
urlpatterns = [
    path("admin/costs/dashboard/", views.dashboard, name="dashboard"),
    path("admin/costs/calculator/", views.calculator, name="calculator"),
    path("admin/costs/export.csv", views.export_csv, name="export_csv"),
    path("metrics", views.metrics, name="metrics"),
]
