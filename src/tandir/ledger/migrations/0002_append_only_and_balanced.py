"""The database keeps the journal append-only and balanced, where it can.

PostgreSQL: triggers refuse any UPDATE or DELETE of a journal row (TRUNCATE, which only a
database administrator or a test run's reset uses, stays possible), and a deferred constraint
trigger checks at commit that every entry's debits equal its credits in each currency.
SQLite: triggers refuse any UPDATE (deletes stay possible so a test database can be reset).
"""

from django.db import migrations

POSTGRES = [
    """
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the journal is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    """,
    """
    CREATE TRIGGER ledger_line_append_only BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    """,
    """
    CREATE FUNCTION ledger_check_balance() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM ledger_journalline WHERE entry_id = NEW.entry_id
            GROUP BY currency HAVING SUM(debit) <> SUM(credit)
        ) THEN
            RAISE EXCEPTION 'journal entry % does not balance', NEW.entry_id;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_line_balanced AFTER INSERT ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balance()
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_line_balanced ON ledger_journalline",
    "DROP FUNCTION IF EXISTS ledger_check_balance()",
    "DROP TRIGGER IF EXISTS ledger_line_append_only ON ledger_journalline",
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_journalentry",
    "DROP FUNCTION IF EXISTS ledger_refuse_change()",
]
SQLITE = [
    f"""
    CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END
    """
    for table in ("ledger_journalentry", "ledger_journalline")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {table}_no_update" for table in ("ledger_journalentry", "ledger_journalline")
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = POSTGRES if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql, None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = (
        POSTGRES_REVERSE if vendor == "postgresql" else SQLITE_REVERSE if vendor == "sqlite" else []
    )
    for sql in statements:
        schema_editor.execute(sql, None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
