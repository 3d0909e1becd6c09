"""Log-in and log-out pages (Django's auth views); failed log-ins are throttled by django-axes."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils import translation


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

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

