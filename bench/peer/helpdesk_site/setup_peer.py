"""Prepare the peer's database: migrate, empty the tickets of earlier runs, one queue, one staff user with a DRF
token.

Run with the helpdesk virtualenv's Python, ``bench/peer`` on the path. Prints ``<token> <queue id>``.
"""
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_site.settings")


def main() -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from helpdesk.models import Queue
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE helpdesk_ticket CASCADE")
    queue, _ = Queue.objects.get_or_create(slug="noc", defaults={"title": "NOC", "allow_public_submission": False})
    user, created = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "email": "bench@example.com"})
    if created:
        user.set_unusable_password()
        user.save()
    token, _ = Token.objects.get_or_create(user=user)
    print(token.key, queue.pk)
    return 0


if __name__ == "__main__":
    sys.exit(main())
