"""Phones to E.164 and ID numbers to their compared form, for every stored person.

Where two people of one organisation would end up with the same phone or ID number, the first
registered keeps the normalised value, the other keeps what was typed and is flagged as a
possible duplicate of the first for a manager to review; the migration prints each such case
(and each phone it cannot read) instead of failing.
"""

from django.db import migrations

from tandir.registry.identity import NotAPhone, normalise_id_number, parse_phone

CHUNK = 2000


def normalise(apps, schema_editor):
    Beneficiary = apps.get_model("registry", "Beneficiary")
    Organization = apps.get_model("orgs", "Organization")
    regions = dict(Organization.objects.values_list("pk", "country__code"))
    report = []
    # First pass: every person's normalised values, and who would hold each value.
    rows = {}
    holders: dict[tuple[int, str, str], list[int]] = {}
    people = Beneficiary.objects.values_list(
        "pk", "organization_id", "phone", "national_id", "id_document", "merged_into_id"
    )
    for pk, org, phone, id_number, document, merged_into in people.iterator(chunk_size=CHUNK):
        new_phone = phone
        if phone:
            try:
                new_phone = parse_phone(phone, regions.get(org))
            except NotAPhone:
                report.append(f"person {pk}: phone {phone!r} is not a phone, kept as typed")
        new_id = normalise_id_number(id_number, document) if id_number else id_number
        rows[pk] = [phone, id_number, new_phone, new_id, None]
        if merged_into is None:
            for column, value in (("phone", new_phone), (document, new_id)):
                if value:
                    holders.setdefault((org, column, value), []).append(pk)
    # Second pass: one holder per value, preferring a person whose stored value is already it.
    for (org, column, value), pks in holders.items():
        if len(pks) < 2:
            continue
        index = 0 if column == "phone" else 1
        holder = next((pk for pk in pks if rows[pk][index] == value), min(pks))
        for pk in pks:
            if pk == holder:
                continue
            rows[pk][index + 2] = rows[pk][index]  # kept as typed
            rows[pk][4] = holder
            report.append(
                f"person {pk}: {'phone' if index == 0 else 'ID number'} {value} is also person"
                f" {holder}'s; kept as typed and flagged as a possible duplicate"
            )
    changed = []
    for pk, (phone, id_number, new_phone, new_id, duplicate_of) in rows.items():
        if (new_phone, new_id) != (phone, id_number) or duplicate_of:
            person = Beneficiary(pk=pk, phone=new_phone, national_id=new_id)
            fields = ["phone", "national_id"]
            if duplicate_of:
                person.possible_duplicate_of_id = duplicate_of
                fields.append("possible_duplicate_of")
            changed.append((tuple(fields), person))
    for fields in {f for f, _ in changed}:
        Beneficiary.objects.bulk_update(
            [p for f, p in changed if f == fields], list(fields), batch_size=500
        )
    for line in report:
        print(f"  registry 0007: {line}")


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0006_constraints_and_through_tables"),
    ]

    operations = [
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
