"""Registering beneficiaries: duplicates, scoping and protected categories."""

from __future__ import annotations

import pytest

from tandir.core.models import AccessLog, TargetGroup
from tandir.registry.actions import PossibleDuplicate, register_beneficiary
from tandir.registry.duplicates import DuplicateRefused
from tandir.registry.forms import BeneficiaryForm
from tandir.registry.models import Beneficiary
from tandir.registry.queries import access_beneficiary, visible_target_groups
from tests.factories import beneficiary_data, register


def test_registration_creates_household_consent_enrolment_and_history(world):
    person = register(world)
    assert person.organization == world.org
    assert person.household.members_count == 4
    assert person.consents.get().follow_up_surveys is True
    assert list(person.enrolments.values_list("project__code", flat=True)) == ["SR1"]
    assert [h.to_status for h in person.history.all()] == ["registered"]
    assert person.name_latin == "Anahit Petrosyan"


def test_re_registering_a_phone_is_refused_and_changes_nothing(world):
    register(world)
    form = BeneficiaryForm(
        beneficiary_data(world, first_name="Other", last_name="Person", national_id=""),
        user=world.intake_a,
    )
    assert form.is_valid(), form.errors
    with pytest.raises(DuplicateRefused) as refused:
        register_beneficiary(world.intake_a, form.cleaned_data)
    assert refused.value.code == "duplicate_phone"
    assert Beneficiary.objects.count() == 1


def test_re_registering_a_national_id_is_refused(world):
    register(world)
    form = BeneficiaryForm(
        beneficiary_data(world, first_name="Other", last_name="Person", phone="+37499000000"),
        user=world.intake_a,
    )
    assert form.is_valid()
    with pytest.raises(DuplicateRefused) as refused:
        register_beneficiary(world.intake_a, form.cleaned_data)
    assert refused.value.code == "duplicate_national_id"


def test_a_similar_name_in_another_script_warns_until_confirmed(world):
    first = register(world)
    data = beneficiary_data(
        world, first_name="Анаит", last_name="Петросян", phone="+37499000001", national_id=""
    )
    form = BeneficiaryForm(data, user=world.intake_a)
    assert form.is_valid()
    with pytest.raises(PossibleDuplicate) as warned:
        register_beneficiary(world.intake_a, form.cleaned_data)
    assert warned.value.candidates == [first]
    assert Beneficiary.objects.count() == 1
    confirmed = register_beneficiary(
        world.intake_a, form.cleaned_data, confirm_possible_duplicate=True
    )
    assert confirmed.beneficiary.possible_duplicate_of == first


def test_loan_officer_of_branch_b_gets_404_for_branch_a(world):
    from django.http import Http404

    person = register(world)
    assert access_beneficiary(world.loan_officer_a, person.pk) == person
    with pytest.raises(Http404):
        access_beneficiary(world.loan_officer_b, person.pk)
    with pytest.raises(Http404):
        access_beneficiary(world.other_intake, person.pk)
    with pytest.raises(Http404):
        access_beneficiary(world.analyst, person.pk)
    assert access_beneficiary(world.me_officer, person.pk) == person


def test_protected_category_hidden_from_role_without_right_and_logged_for_others(world):
    trafficking = TargetGroup.objects.get(code="victim_of_trafficking")
    person = register(world, target_groups=[trafficking.pk])
    assert AccessLog.objects.count() == 0
    seen_by_loan_officer = access_beneficiary(world.loan_officer_a, person.pk)
    assert visible_target_groups(world.loan_officer_a, seen_by_loan_officer) == []
    assert AccessLog.objects.count() == 0
    seen_by_intake = access_beneficiary(world.intake_a, person.pk)
    assert visible_target_groups(world.intake_a, seen_by_intake) == [trafficking]
    access_beneficiary(world.me_officer, person.pk, channel="api")
    logs = list(AccessLog.objects.order_by("id").values_list("user__username", "channel"))
    assert logs == [("intake_a", "web"), ("me", "api")]


def test_youth_is_derived_from_age_and_filterable(world, settings):
    from django.utils import timezone

    from tandir.registry.queries import search_beneficiaries

    today = timezone.localdate()
    young = register(world, date_of_birth=f"{today.year - 20}-01-01")
    older = register(
        world, date_of_birth="1970-01-01", phone="+37499555111", national_id="", first_name="Gor"
    )
    assert [g.code for g in visible_target_groups(world.intake_a, young)] == ["youth"]
    assert visible_target_groups(world.intake_a, older) == []
    assert list(search_beneficiaries(world.intake_a, target_group="youth")) == [young]
    settings.TANDIR_YOUTH_MAX_AGE = 60
    assert set(search_beneficiaries(world.intake_a, target_group="youth")) == {young, older}


@pytest.mark.parametrize(
    ("first", "second", "similar"),
    [
        ("Anahit Petrosyan", "Анаит Петросян", True),
        ("Hovhannes Sargsyan", "Ovanes Sarkisian", True),
        ("Grigor Hakobyan", "Krikor Akopian", True),
        ("Nargiz Məmmədova", "Наргиз Мамедова", True),
        ("Հրանտ Ավետիսյան", "Արամ Ավետիսյան", False),
        ("Gohar Sargsyan", "Gohar Harutyunyan", False),
    ],
)
def test_similar_names_across_scripts_and_spellings(first, second, similar):
    from tandir.registry.names import name_key, names_similar

    assert names_similar(name_key(first), name_key(second)) is similar


@pytest.mark.parametrize(
    ("local", "latin"),
    [
        ("Լուսինե Պետրոսյան", "Lusine Petrosyan"),
        ("Նունե", "Nune"),
        ("Nargiz Məmmədova", "Nargiz Mammadova"),
    ],
)
def test_latin_spelling_follows_common_usage(local, latin):
    from tandir.registry.names import to_latin

    assert to_latin(local) == latin


def test_search_indexes_exist_on_postgresql(world):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'registry_beneficiary'"
            " AND indexname LIKE '%%_trgm'"
        )
        names = sorted(row[0] for row in cursor.fetchall())
    assert names == [
        "registry_beneficiary_name_key_trgm",
        "registry_beneficiary_name_latin_trgm",
        "registry_beneficiary_phone_trgm",
    ]


def test_search_by_project_and_group_lists_each_person_once(world):
    from tandir.registry.queries import search_beneficiaries

    refugee = TargetGroup.objects.get(code="refugee")
    idp = TargetGroup.objects.get(code="idp")
    person = register(world, target_groups=[refugee.pk, idp.pk])
    found = search_beneficiaries(world.intake_a, project=world.project.pk, target_group="refugee")
    assert list(found) == [person]
    assert found.count() == 1


def test_outreach_contacts_can_be_registered_as_interested(world):
    person = register(world, initial_status="interested")
    assert person.status == "interested"
    assert [h.to_status for h in person.history.all()] == ["interested"]


def test_searching_an_id_with_letters_does_not_match_names(world):
    from tandir.registry.queries import search_beneficiaries

    register(world, first_name="Tatevik", last_name="Atoyan", national_id="", phone="")
    holder = register(world, national_id="AT0075559", phone="+37499777000", first_name="Gor")
    assert list(search_beneficiaries(world.intake_a, text="AT0075559")) == [holder]


def test_a_namesake_born_years_apart_is_not_a_possible_duplicate(world):
    first = register(world, phone="", national_id="")
    namesake = register(
        world, phone="", national_id="", first_name="Anait", date_of_birth="1975-04-12"
    )
    assert namesake.possible_duplicate_of is None
    typo = register(world, phone="", national_id="", first_name="Anait", date_of_birth="1990-12-04")
    assert typo.possible_duplicate_of == first
