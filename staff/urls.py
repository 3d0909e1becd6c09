# No app namespace: settings name the pages "login" and "logout" (LOGIN_URL, LOGOUT_REDIRECT_URL).
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
