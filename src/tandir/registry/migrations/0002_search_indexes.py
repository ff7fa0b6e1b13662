"""Trigram indexes for the beneficiary search on PostgreSQL (substring matches on name and phone).

SQLite has no such index; there the search scans the organisation's rows, which is fine at the
sizes SQLite serves.
"""

from django.db import migrations

INDEXES = [
    ("registry_beneficiary_name_latin_trgm", "UPPER(name_latin) gin_trgm_ops"),
    ("registry_beneficiary_name_key_trgm", "name_key gin_trgm_ops"),
    ("registry_beneficiary_phone_trgm", "phone gin_trgm_ops"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON registry_beneficiary USING gin ({expression})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
