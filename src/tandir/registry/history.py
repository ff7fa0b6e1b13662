"""A person's change history as the person's page shows it: who changed what, when, and how.

Read from django-simple-history's tables (the person, their household, consents, enrolments and
target groups), a few queries for the whole page whatever the number of changes. Consecutive
historical rows are compared in memory; names of branches, districts and groups are looked up
once. Protected target groups appear only to roles allowed to see them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandir.core import formatting
from tandir.core.models import TargetGroup
from tandir.orgs.models import Branch, District, Locality
from tandir.orgs.roles import Right, has_right
from tandir.registry.models import Beneficiary, Consent, Enrolment, Household

# Columns that change as a consequence of others, or carry no meaning for a reader.
IGNORED = {"id", "updated_at", "created_at", "name_latin", "name_key", "last_name_key"}
CHANNELS = {
    "web": gettext_lazy("pages"),
    "api": gettext_lazy("API"),
    "admin": gettext_lazy("admin"),
    "import": gettext_lazy("import"),
    "cli": gettext_lazy("command line"),
}


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class Change:
    at: datetime.datetime
    who: str
    channel: str
    what: str
    kind: str  # "+" created, "~" changed, "-" deleted
    fields: list[FieldChange] = field(default_factory=list)


class _Names:
    """Display text of stored values: choice labels, and names of related rows looked up once."""

    RELATED: dict[str, type[Model]] = {
        "branch": Branch,
        "district": District,
        "locality": Locality,
    }

    PEOPLE = {"registered_by", "recorded_by", "withdrawn_by", "merged_by"}

    def __init__(self, rows: list[Any], users: dict[int, str]) -> None:
        self.users = users
        wanted: dict[str, set[int]] = {name: set() for name in self.RELATED}
        for row in rows:
            for name in self.RELATED:
                value = getattr(row, f"{name}_id", None)
                if value:
                    wanted[name].add(value)
        self.related = {
            name: {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=ids)}
            for name, model in self.RELATED.items()
            if (ids := wanted[name])
        }

    def text(self, model: type[Model], name: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if name in self.RELATED:
            return self.related.get(name, {}).get(value, f"#{value}")
        if name in self.PEOPLE:
            return self.users.get(value, f"#{value}")
        model_field = model._meta.get_field(name)
        choices = dict(getattr(model_field, "choices", None) or ())
        if choices:
            return str(choices.get(value, value))
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, datetime.date):
            return formatting.date(value)
        if isinstance(value, Decimal):
            return formatting.number(value.normalize() if value == value.to_integral() else value)
        return str(value)


def _tracked(model: type[Model]) -> list[tuple[str, str, str]]:
    """(attribute, field name, label) of each column a reader cares about."""
    columns = []
    for model_field in model._meta.concrete_fields:
        if model_field.name in IGNORED or model_field.name == "organization":
            continue
        attname = model_field.attname
        columns.append((attname, model_field.name, str(model_field.verbose_name)))
    return columns


def _who(row: Any, users: dict[int, str]) -> str:
    return users.get(row.history_user_id, "—") if row.history_user_id else "—"


def _changes_of_rows(
    rows: list[Any], model: type[Model], what: str, names: _Names, users: dict[int, str]
) -> list[Change]:
    """One `Change` per historical row: its differences from the row before it."""
    columns = _tracked(model)
    changes = []
    previous: dict[int, Any] = {}
    for row in sorted(rows, key=lambda r: (r.history_date, r.history_id)):
        before = previous.get(row.id)
        previous[row.id] = row
        fields = []
        if before is not None:
            for attname, name, label in columns:
                old, new = getattr(before, attname), getattr(row, attname)
                if old != new:
                    fields.append(
                        FieldChange(
                            label, names.text(model, name, old), names.text(model, name, new)
                        )
                    )
            if not fields:
                continue
        changes.append(
            Change(
                at=row.history_date,
                who=_who(row, users),
                channel=str(CHANNELS.get(row.history_channel, row.history_channel or "—")),
                what=what,
                kind=row.history_type,
                fields=fields,
            )
        )
    return changes


def _group_changes(user: Any, person: Beneficiary, users: dict[int, str]) -> list[Change]:
    """Target groups added and removed: each historical row of the person keeps a snapshot of
    their groups, so consecutive snapshots are compared."""
    through_history = Beneficiary.changes.model.target_groups.model
    see_protected = has_right(user, Right.SEE_PROTECTED)
    groups = {g.pk: g for g in TargetGroup.objects.all()}
    snapshots: dict[int, set[int]] = {}
    for history_id, group_id in through_history.objects.filter(history__id=person.pk).values_list(
        "history_id", "targetgroup_id"
    ):
        snapshots.setdefault(history_id, set()).add(group_id)
    changes = []
    before: set[int] = set()
    for row in person.changes.order_by("history_date", "history_id"):
        current = snapshots.get(row.history_id, set())
        shown = [
            FieldChange(str(groups[i]), "", _("added") if i in current else _("removed"))
            for i in sorted(current ^ before)
            if see_protected or not groups[i].is_protected
        ]
        before = current
        if shown:
            changes.append(
                Change(
                    at=row.history_date,
                    who=_who(row, users),
                    channel=str(CHANNELS.get(row.history_channel, "—")),
                    what=_("Target groups"),
                    kind="~",
                    fields=shown,
                )
            )
    return changes


def changes_of(user: Any, person: Beneficiary) -> list[Change]:
    """Every change to the person's record, newest first."""
    from tandir.orgs.models import StaffUser

    person_rows = list(person.changes.all())
    household_rows = (
        list(Household.changes.filter(id=person.household_id)) if person.household_id else []
    )
    consent_rows = list(Consent.changes.filter(beneficiary_id=person.pk))
    enrolment_rows = list(Enrolment.changes.filter(beneficiary_id=person.pk))
    all_rows = person_rows + household_rows + consent_rows + enrolment_rows
    people = {r.history_user_id for r in all_rows}
    people |= {getattr(r, f"{n}_id", None) for r in all_rows for n in _Names.PEOPLE}
    users = {
        u.pk: u.get_full_name() or u.username
        for u in StaffUser.objects.filter(pk__in=people - {None})
    }
    names = _Names(person_rows, users)
    person_changes = [
        c
        for c in _changes_of_rows(person_rows, Beneficiary, _("Person"), names, users)
        if c.fields or c.kind == "+"
    ]
    changes = [
        *person_changes,
        *_changes_of_rows(household_rows, Household, _("Household"), names, users),
        *_changes_of_rows(consent_rows, Consent, _("Consent"), names, users),
        *_changes_of_rows(enrolment_rows, Enrolment, _("Project enrolment"), names, users),
        *_group_changes(user, person, users),
    ]
    return sorted(changes, key=lambda c: c.at, reverse=True)
