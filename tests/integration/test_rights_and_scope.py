"""Rights and scope are checked inside every action, and duplicate checks disclose nobody."""

from __future__ import annotations

import pytest
from django.test import Client

from tandir.core.errors import NotAllowed, NotFound
from tandir.core.models import AccessLog, TargetGroup
from tandir.orgs.models import BranchDistrict, Country, District, Region, Role, StaffUser
from tandir.registry import actions
from tandir.registry.duplicates import DuplicateRefused
from tandir.registry.forms import BeneficiaryForm
from tandir.registry.models import Beneficiary, Consent, Status
from tests.factories import PASSWORD, World, beneficiary_data, make_user, register


def client_for(user: StaffUser) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def trainer(world: World) -> StaffUser:
    return make_user(world.org, Role.TRAINER, [world.branch_a], "trainer_a")


def test_a_trainer_cannot_make_someone_a_borrower_by_any_channel(
    world: World, trainer: StaffUser
) -> None:
    person = register(world)
    with pytest.raises(NotAllowed):
        actions.change_status(trainer, person, Status.BORROWER)
    response = client_for(trainer).post(
        f"/beneficiaries/{person.pk}/status/", {"status": Status.BORROWER}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.status == Status.REGISTERED
    assert person.history.count() == 1  # the registration only


def test_a_trainer_records_training_and_sees_only_training_stages(
    world: World, trainer: StaffUser
) -> None:
    person = register(world)
    actions.change_status(trainer, person, Status.IN_TRAINING)
    person.refresh_from_db()
    assert person.status == Status.IN_TRAINING
    page = client_for(trainer).get(f"/beneficiaries/{person.pk}/")
    offered = {value for value, _label in page.context["statuses"]}
    assert offered == {Status.TRAINED}


def test_an_officer_of_branch_b_cannot_withdraw_consent_in_branch_a(world: World) -> None:
    person = register(world)
    officer_b = make_user(world.org, Role.INTAKE_OFFICER, [world.branch_b], "intake_b")
    with pytest.raises(NotFound):
        actions.withdraw_consent(officer_b, person, reason="asked")
    response = client_for(officer_b).post(
        f"/beneficiaries/{person.pk}/consent/withdraw/", {"reason": "asked", "confirm": "on"}
    )
    assert response.status_code == 404
    assert Consent.objects.get(beneficiary=person).withdrawn_on is None


def test_consent_needs_its_own_right(world: World) -> None:
    person = register(world)
    for action in (
        lambda: actions.withdraw_consent(world.loan_officer_a, person, reason="asked"),
        lambda: actions.record_consent(
            world.loan_officer_a, person, follow_up_surveys=True, network_sharing=True
        ),
    ):
        with pytest.raises(NotAllowed):
            action()
    assert Consent.objects.filter(beneficiary=person).count() == 1
    page = client_for(world.loan_officer_a).get(f"/beneficiaries/{person.pk}/consent/withdraw/")
    assert page.status_code == 403


def test_an_edit_by_an_officer_of_another_branch_is_refused_in_the_action(world: World) -> None:
    person = register(world)
    officer_b = make_user(world.org, Role.INTAKE_OFFICER, [world.branch_b], "intake_b")
    form = BeneficiaryForm(
        beneficiary_data(world, branch=world.branch_b.pk, first_name="Changed"),
        user=officer_b,
        instance=person,
    )
    assert form.is_valid(), form.errors
    with pytest.raises(NotFound):
        actions.update_beneficiary(officer_b, person, form.cleaned_data)
    person.refresh_from_db()
    assert person.first_name == "Anahit" and person.branch_id == world.branch_a.pk


def test_a_held_phone_outside_scope_names_nobody(world: World) -> None:
    register(world)  # in branch A, phone +374 91 123456
    officer_b = make_user(world.org, Role.INTAKE_OFFICER, [world.branch_b], "intake_b")
    form = BeneficiaryForm(
        beneficiary_data(
            world, branch=world.branch_b.pk, first_name="Other", national_id="", last_name="X"
        ),
        user=officer_b,
    )
    assert form.is_valid(), form.errors
    with pytest.raises(DuplicateRefused) as refused:
        actions.register_beneficiary(officer_b, form.cleaned_data)
    assert "Anahit" not in refused.value.message and "Petrosyan" not in refused.value.message
    assert "existing_id" not in refused.value.details
    assert "outside your branches" in refused.value.message
    page = client_for(officer_b).post(
        "/beneficiaries/new/",
        beneficiary_data(
            world, branch=world.branch_b.pk, first_name="Other", national_id="", last_name="X"
        ),
    )
    assert "Anahit" not in page.content.decode()
    assert page.context["form"].existing is None


def test_a_held_phone_in_scope_names_the_person(world: World) -> None:
    first = register(world)
    form = BeneficiaryForm(
        beneficiary_data(world, first_name="Other", national_id="", last_name="X"),
        user=world.intake_a,
    )
    assert form.is_valid()
    with pytest.raises(DuplicateRefused) as refused:
        actions.register_beneficiary(world.intake_a, form.cleaned_data)
    assert first.full_name in refused.value.message
    assert refused.value.details["existing_id"] == first.pk


def test_a_similar_protected_person_in_another_branch_is_only_counted(world: World) -> None:
    protected = TargetGroup.objects.get(code="victim_of_trafficking")
    register(world, target_groups=[protected.pk])
    officer_b = make_user(world.org, Role.INTAKE_OFFICER, [world.branch_b], "intake_b")
    data = beneficiary_data(
        world,
        branch=world.branch_b.pk,
        last_name="Petrosian",
        date_of_birth="1990-06-01",
        phone="+37499111222",
        national_id="AM7654321",
    )
    page = client_for(officer_b).post("/beneficiaries/new/", data)
    assert page.status_code == 200
    warning = page.context["warning"]
    assert warning.candidates == [] and warning.outside_scope == 1
    html = page.content.decode()
    assert "Petrosyan" not in html and "Apr 12, 1990" not in html
    assert "ask your branch" in html
    assert Beneficiary.objects.count() == 1


@pytest.fixture
def pakistan() -> District:
    country = Country.objects.create(code="PK", name="Pakistan")
    region = Region.objects.create(country=country, name="Punjab")
    return District.objects.create(region=region, name="Lahore")


def test_a_district_of_another_country_is_refused(world: World, pakistan: District) -> None:
    page = client_for(world.intake_a).post(
        "/beneficiaries/new/", beneficiary_data(world, district=pakistan.pk)
    )
    assert page.status_code == 200
    assert "district" in page.context["form"].errors
    assert not Beneficiary.objects.exists()
    listed = client_for(world.intake_a).get("/beneficiaries/options/district/?branch=")
    assert "Lahore" not in listed.content.decode()


def test_only_the_districts_a_branch_serves_are_offered_and_accepted(world: World) -> None:
    BranchDistrict.objects.create(
        organization=world.org, branch=world.branch_a, district=world.district_a
    )
    form = BeneficiaryForm(
        beneficiary_data(world, district=world.district_b.pk), user=world.intake_a
    )
    assert not form.is_valid()
    assert "district" in form.errors
    options = client_for(world.intake_a).get(
        f"/beneficiaries/options/district/?branch={world.branch_a.pk}"
    )
    assert world.district_a.name in options.content.decode()
    assert world.district_b.name not in options.content.decode()


def test_listing_people_under_a_protected_filter_writes_the_access_log(world: World) -> None:
    protected = TargetGroup.objects.get(code="victim_of_trafficking")
    person = register(world, target_groups=[protected.pk])
    page = client_for(world.manager_a).get("/beneficiaries/?target_group=victim_of_trafficking")
    assert page.status_code == 200
    assert AccessLog.objects.filter(record_id=person.pk, channel="web").count() == 1


def test_a_one_record_export_writes_one_access_log_row(world: World) -> None:
    protected = TargetGroup.objects.get(code="victim_of_trafficking")
    person = register(world, target_groups=[protected.pk])
    response = client_for(world.me_officer).get(f"/beneficiaries/{person.pk}/export.xlsx")
    assert response.status_code == 200
    assert AccessLog.objects.filter(record_id=person.pk).count() == 1


def test_another_organisations_record_export_is_404(world: World) -> None:
    person = register(world)
    other_manager = make_user(world.other_org, Role.BRANCH_MANAGER, [world.other_branch], "om")
    assert (
        client_for(other_manager).get(f"/beneficiaries/{person.pk}/export.xlsx").status_code == 404
    )
