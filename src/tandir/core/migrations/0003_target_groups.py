"""Seed the target groups every programme reports on; more can be added in the admin."""

from django.db import migrations

GROUPS = [
    ("refugee", "Refugee", False),
    ("returnee", "Returnee", False),
    ("idp", "Internally displaced person", False),
    ("woman_headed_household", "Woman-headed household", False),
    ("low_income", "Low income", False),
    ("youth", "Youth", False),
    ("victim_of_trafficking", "Victim of trafficking", True),
    ("disability", "Person with disability", False),
]


def seed(apps, schema_editor):
    TargetGroup = apps.get_model("core", "TargetGroup")
    for order, (code, name, protected) in enumerate(GROUPS):
        TargetGroup.objects.update_or_create(
            code=code, defaults={"name": name, "is_protected": protected, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
