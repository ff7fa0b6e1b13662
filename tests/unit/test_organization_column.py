"""Every table of Tandir's models carries `organization_id`, save a short, explained list.

The organisation is the unit of scoping and, past one PostgreSQL server, the distribution
column (docs/scaling.md): a table without it could be neither scoped nor co-located. The check
reads the models Django knows (`apps.get_models`, with the many-to-many tables Django makes by
itself and the change-history tables of django-simple-history), so it needs no database and a
new app's model is covered the day it is written.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

# Tables that are not one organisation's business rows, and why.
WITHOUT_ORGANIZATION = {
    # The organisation itself, and its change history: it is the key, not keyed by it.
    "orgs.Organization": "the organisation itself",
    "orgs.HistoricalOrganization": "the organisation's own change history",
    # Reference data every organisation shares (Citus reference tables, copied to every node).
    "orgs.Country": "reference data shared by all organisations",
    "orgs.Region": "reference data shared by all organisations",
    "orgs.District": "reference data shared by all organisations",
    "orgs.Locality": "reference data shared by all organisations",
    "core.TargetGroup": "reference data shared by all organisations",
    # Django's own permission tables of the user model; Tandir's rights come from the role.
    "orgs.StaffUser_groups": "Django's auth groups of a user, unused by Tandir's roles",
    "orgs.StaffUser_user_permissions": "Django's permissions of a user, unused by Tandir's roles",
    # Sign-in records reached through their user (who carries the organisation), never scanned
    # by organisation; a platform operator's token belongs to no organisation.
    "api.ApiToken": "reached through its user, who carries the organisation",
    "api.IdempotencyKey": "a stored API answer reached through its user, kept for hours",
}


def _tandir_models() -> list[type[models.Model]]:
    labels = {config.label for config in apps.get_app_configs() if config.name.startswith("tandir")}
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in labels
    ]


def _has_organization(model: type[models.Model]) -> bool:
    return any(field.column == "organization_id" for field in model._meta.concrete_fields)


def test_every_business_table_carries_its_organisation() -> None:
    missing = sorted(
        model._meta.label
        for model in _tandir_models()
        if not _has_organization(model) and model._meta.label not in WITHOUT_ORGANIZATION
    )
    assert missing == [], f"tables without organization_id: {missing}"


def test_the_many_to_many_and_history_tables_are_checked_too() -> None:
    found = {model._meta.label: model for model in _tandir_models()}
    # Through tables of the lending, registry and orgs apps, and change-history tables.
    for label in (
        "lending.ProductTargetGroup",
        "registry.BeneficiaryTargetGroup",
        "orgs.StaffBranch",
        "orgs.BranchDistrict",
        "registry.HistoricalBeneficiary",
        "lending.HistoricalLoan",
    ):
        assert label in found, label
        assert _has_organization(found[label]), label
    # A history table of a model carries the organisation exactly when its model does.
    for model in found.values():
        history = getattr(model._meta, "simple_history_manager_attribute", None)
        if history is None:
            continue
        historical = getattr(model, history).model
        assert _has_organization(historical) == _has_organization(model), model._meta.label


def test_the_allowed_list_names_only_real_tables_without_the_column() -> None:
    found = {model._meta.label: model for model in _tandir_models()}
    for label in WITHOUT_ORGANIZATION:
        assert label in found, f"{label} is allowed but is not a model any more"
        assert not _has_organization(found[label]), f"{label} has organization_id now"
