"""`tandir createadmin`: an administrator of an organisation, who can also use the Django admin.

Non-interactive when --username, --organization and --password are all given; otherwise it asks
for what is missing.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from tandir.orgs.models import Organization, OrganizationKind, Role, StaffUser


class Command(BaseCommand):
    help = _("Create an administrator account, and their organisation (as an MFI) if it is new.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help=_("login name of the administrator"))
        parser.add_argument(
            "--organization",
            "--organisation",
            dest="organization",
            help=_("name of the organisation (created if missing)"),
        )
        parser.add_argument("--password", help=_("password (asked for if omitted)"))
        parser.add_argument("--email", default="", help=_("e-mail address"))

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"] or self._ask(_("Username: "))
        username = username.strip()
        if not username:
            raise CommandError(_("A username is needed."))
        if StaffUser.objects.filter(username__iexact=username).exists():
            raise CommandError(
                _("A user named “%(username)s” already exists; choose another username.")
                % {"username": username}
            )
        organization_name = (options["organization"] or self._ask(_("Organisation name: "))).strip()
        if not organization_name:
            raise CommandError(_("An organisation name is needed."))
        password = options["password"] or self._ask_password()
        user = StaffUser(username=username, email=options["email"], role=Role.ADMINISTRATOR)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

        with transaction.atomic():
            organization, created = Organization.objects.get_or_create(
                name=organization_name, defaults={"kind": OrganizationKind.MFI}
            )
            user.organization = organization
            user.is_staff = True
            user.set_password(password)
            user.save()
        if created:
            self.stdout.write(
                _("Created the organisation “%(name)s” (microfinance institution).")
                % {"name": organization.name}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Created the administrator “%(username)s” of “%(organization)s”.")
                % {"username": user.username, "organization": organization.name}
            )
        )

    def _ask(self, prompt: str) -> str:
        if not sys.stdin.isatty():
            raise CommandError(
                _("%(prompt)s not given; pass --username, --organization and --password.")
                % {"prompt": prompt.rstrip(": ")}
            )
        return input(prompt)

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(_("Password not given; pass --password."))
        while True:
            password = getpass.getpass(_("Password: "))
            if password and password == getpass.getpass(_("Password (again): ")):
                return password
            self.stderr.write(_("The passwords were empty or did not match; try again."))
