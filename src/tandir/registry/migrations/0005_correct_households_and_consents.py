"""Stored households and consents brought within the constraints that 0006 adds."""

from django.db import migrations, models


def correct_before_constraints(apps, schema_editor):
    """Bring stored rows within the new constraints, saying what was corrected.

    Households: dependants fewer than members (the form's rule, now the database's too), and an
    income with a currency (the organisation's when it was missing). Consents: one in force per
    person (records merged earlier could keep two), the newest kept.
    """
    Household = apps.get_model("registry", "Household")
    Consent = apps.get_model("registry", "Consent")
    Organization = apps.get_model("orgs", "Organization")
    corrected = []
    for household in Household.objects.filter(dependants__gte=models.F("members_count")):
        household.members_count = max(household.members_count, 1)
        household.dependants = household.members_count - 1
        household.save(update_fields=["members_count", "dependants"])
        corrected.append(f"household {household.pk}: dependants set to {household.dependants}")
    currencies = dict(Organization.objects.values_list("pk", "currency"))
    for household in Household.objects.filter(
        monthly_income_amount__isnull=False, monthly_income_currency=""
    ):
        household.monthly_income_currency = currencies.get(household.organization_id) or "USD"
        household.save(update_fields=["monthly_income_currency"])
        corrected.append(f"household {household.pk}: income currency set to the organisation's")
    Household.objects.filter(monthly_income_amount__isnull=True).exclude(
        monthly_income_currency=""
    ).update(monthly_income_currency="")
    newest = {}
    for consent in Consent.objects.filter(withdrawn_on__isnull=True).order_by("given_on", "pk"):
        earlier = newest.get(consent.beneficiary_id)
        if earlier is not None:
            earlier.withdrawn_on = consent.given_on
            earlier.withdrawal_reason = "Replaced by a newer consent (two were in force)."
            earlier.save(update_fields=["withdrawn_on", "withdrawal_reason"])
            corrected.append(f"consent {earlier.pk}: closed, consent {consent.pk} is in force")
        newest[consent.beneficiary_id] = consent
    for line in corrected:
        print(f"  registry 0004: {line}")


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0004_aliases_history_through_tables"),
        ("orgs", "0002_staffbranch_alter_organization_currency_and_more"),
    ]

    operations = [
        migrations.RunPython(correct_before_constraints, migrations.RunPython.noop),
    ]
