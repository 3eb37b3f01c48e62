from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

# No app_name: settings.LOGIN_URL = "login" and Django's auth views use these bare names.
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),  # POST only (Django 5)
    path("profile/", views.profile, name="profile"),
]
