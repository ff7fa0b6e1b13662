"""`tandir events reminders [--as-of DATE] [--organization NAME]`: the overdue activities of
cooperation agreements' action plans, per organisation, for a reminder e-mail or a meeting.

Prints one line per activity (due date, partner, agreement, activity, who is responsible) and
exits 0; with nothing overdue it says so. It only reads: an activity stays overdue until someone
marks it done or cancelled on the agreement's page.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tandir.events.queries import overdue_activities
from tandir.orgs.models import Organization


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("--as-of: not a date (YYYY-MM-DD): %(value)s") % {"value": text}
        ) from None


class Command(BaseCommand):
    help = "The overdue activities of cooperation agreements' action plans, per organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--organization",
            help="the organisation's short name or name (default: every organisation)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _date(options["as_of"]) if options["as_of"] else timezone.localdate()
        organization_id = None
        if options["organization"]:
            name = options["organization"]
            found = Organization.objects.filter(Q(short_name=name) | Q(name=name)).first()
            if found is None:
                raise CommandError(_("No organisation named %(name)s.") % {"name": name})
            organization_id = found.pk
        activities = list(
            overdue_activities(as_of, organization_id=organization_id).select_related(
                "organization"
            )
        )
        if not activities:
            self.stdout.write(_("No activity is overdue on %(day)s.") % {"day": as_of.isoformat()})
            return
        current = None
        for activity in sorted(activities, key=lambda a: (a.organization.name, a.due_on, a.pk)):
            if activity.organization_id != current:
                current = activity.organization_id
                self.stdout.write(activity.organization.name)
            responsible = activity.get_responsible_party_display()
            if activity.responsible_person:
                responsible = f"{responsible} ({activity.responsible_person})"
            self.stdout.write(
                "  "
                + " · ".join(
                    [
                        activity.due_on.isoformat(),
                        activity.agreement.partner.name,
                        activity.agreement.title,
                        activity.description,
                        str(responsible),
                        activity.get_status_display(),
                    ]
                )
            )
        self.stdout.write(
            ngettext(
                "%(count)s activity overdue on %(day)s.",
                "%(count)s activities overdue on %(day)s.",
                len(activities),
            )
            % {"count": len(activities), "day": as_of.isoformat()}
        )
