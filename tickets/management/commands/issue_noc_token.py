"""``python manage.py issue_noc_token NAME``: an API client for a NOC system; the token alone on the last line."""
from django.core.management.base import BaseCommand, CommandError

from staff.models import ApiClient, ApiScope, User
from staff.tokens import issue_client
from supportdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "Create an API client allowed to post alarms and read tickets; print its token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the client's unique name, e.g. the NMS host")
        parser.add_argument(
            "--scope", action="append", default=[], choices=ApiScope.values, dest="scopes",
            help="an extra scope (repeatable); alarms:write and tickets:read are always granted",
        )
        parser.add_argument(
            "--acting-user", default=None,
            help="username whose identity and permissions the client's ticket operations run under",
        )
        parser.add_argument(
            "--rotate", action="store_true",
            help="give the client a new token (the old one stops working); creates the client if it does not exist",
        )

    def handle(self, *args, name, scopes, acting_user, rotate, **options):
        user = None
        if acting_user:
            user = User.objects.filter(username=acting_user, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {acting_user!r}")
        existing = ApiClient.objects.filter(name=name.strip()).first()
        if existing is not None and not rotate:
            # Run again: the same answer, no new token (only its hash was kept); say how to get one.
            self.stdout.write(
                f"API client {existing.name!r} (exists), scopes: {', '.join(existing.scopes)}"
                + (f", acting as {existing.acting_user.get_username()}" if existing.acting_user_id else "")
            )
            self.stdout.write(f"Its token was shown once when it was issued and is not stored. For a new token "
                              f"(the old one stops working): manage.py issue_noc_token {existing.name} --rotate")
            return
        try:
            client, token = issue_client(name=name, scopes=scopes, acting_user=user, rotate=rotate)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"API client {client.name!r} ({'rotated' if existing else 'created'}), scopes: {', '.join(client.scopes)}"
            + (f", acting as {client.acting_user.get_username()}" if client.acting_user_id else "")
        )
        self.stdout.write("Send it as the header  Authorization: Token <token>  (shown once, keep it secret):")
        self.stdout.write(token)
