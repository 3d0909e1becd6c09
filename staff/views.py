"""Log-in and log-out pages (Django's auth views); failed log-ins are throttled by django-axes."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils import translation

from .models import User


class LoginForm(AuthenticationForm):
    """A name no user can have (too long, NUL) is refused as a failed log-in before anything looks it up."""

    def clean(self):
        username = self.data.get("username") or ""
        if len(username) > User._meta.get_field("username").max_length or "\x00" in username:
            raise self.get_invalid_login_error()
        return super().clean()


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        # The person's preferred language wins from the first page after log-in.
        language = getattr(form.get_user(), "preferred_language", "") or ""
        if language and translation.check_for_language(language):
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                                samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response


class LogoutView(auth_views.LogoutView):
    pass

