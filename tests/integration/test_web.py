"""The registry pages: scoping, field errors, exports and query counts."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.test import Client
from openpyxl import load_workbook

from tandir.core.models import AccessLog, TargetGroup
from tandir.registry.models import Beneficiary
from tests.factories import PASSWORD, beneficiary_data, register


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_login_page_and_home_counts(world):
    register(world)
    assert Client().get("/").status_code == 302
    page = client_for(world.intake_a).get("/")
    assert page.status_code == 200
    assert page.context["tiles"][0]["value"] == 1


def test_network_analyst_home_counts_only_people_who_agreed_to_sharing(world):
    sharing = register(world, consent_sharing="on")
    register(world, phone="+37499000222", national_id="", first_name="Lilit", last_name="Avagyan")
    page = client_for(world.analyst).get("/")
    rows = {row["name"]: row["people"] for row in page.context["network_rows"]}
    assert rows == {"Org X": 1, "Org Y": 0}
    assert sharing.last_name not in page.content.decode()
    refused = client_for(world.analyst).get("/beneficiaries/")
    assert refused.status_code == 403
    assert "Your role does not allow this page" in refused.content.decode()
    client_for(world.intake_a).post(
        f"/beneficiaries/{sharing.pk}/consent/withdraw/",
        {"reason": "Asked at the office", "confirm": "on"},
    )
    page = client_for(world.analyst).get("/")
    assert {row["name"]: row["people"] for row in page.context["network_rows"]}["Org X"] == 0


def test_each_role_sees_its_own_tiles(world):
    from tandir.core.models import TargetGroup

    refugee = TargetGroup.objects.get(code="refugee")
    register(world, target_groups=[refugee.pk])
    intake = client_for(world.intake_a).get("/")
    labels = [tile["label"] for tile in intake.context["tiles"]]
    assert labels[:2] == ["Participants", "Registered by you this month"]
    assert intake.context["tiles"][1]["value"] == 1
    me_page = client_for(world.me_officer).get("/")
    me_labels = [tile["label"] for tile in me_page.context["tiles"]]
    assert "Agreed to follow-up surveys" in me_labels
    titles = [chart["title"] for chart in me_page.context["charts"]]
    assert titles == [
        "Participants by stage",
        "Participants by target group",
        "How participants heard of the programme",
    ]
    groups = {row["label"]: row["count"] for row in me_page.context["charts"][1]["rows"]}
    assert groups["Refugee"] == 1
    loan = client_for(world.loan_officer_a).get("/")
    assert [tile["label"] for tile in loan.context["tiles"]][1] == "Borrowers"


def test_home_page_query_count_does_not_grow_with_people(world, django_assert_max_num_queries):
    for n in range(20):
        register(world, phone=f"+3749200{n:04d}", national_id=f"H{n}", first_name=f"H{n}x")
    client = client_for(world.me_officer)
    with django_assert_max_num_queries(10):
        response = client.get("/")
    assert response.status_code == 200


def test_branch_b_loan_officer_gets_404_for_branch_a_in_page_and_export(world):
    person = register(world)
    officer_b = client_for(world.loan_officer_b)
    assert officer_b.get(f"/beneficiaries/{person.pk}/").status_code == 404
    assert officer_b.get(f"/beneficiaries/{person.pk}/export.xlsx").status_code == 404
    listed = officer_b.get("/beneficiaries/export.csv")
    assert listed.status_code == 200
    assert person.last_name not in listed.content.decode()
    officer_a = client_for(world.loan_officer_a)
    assert officer_a.get(f"/beneficiaries/{person.pk}/").status_code == 200
    assert client_for(world.other_intake).get(f"/beneficiaries/{person.pk}/").status_code == 404


def test_record_export_is_a_real_xlsx_with_the_person(world):
    person = register(world)
    response = client_for(world.loan_officer_a).get(f"/beneficiaries/{person.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("id", "first_name", "patronymic", "last_name")
    assert rows[1][0] == str(person.pk) and rows[1][3] == "Petrosyan"


def test_export_hides_protected_group_from_loan_officer_and_logs_for_me_officer(world):
    trafficking = TargetGroup.objects.get(code="victim_of_trafficking")
    register(world, target_groups=[trafficking.pk])
    plain = client_for(world.loan_officer_a).get("/beneficiaries/export.csv").content.decode()
    assert "trafficking" not in plain
    full = client_for(world.me_officer).get("/beneficiaries/export.csv").content.decode()
    assert "victim_of_trafficking" in full
    assert list(AccessLog.objects.values_list("channel", flat=True)) == ["export"]


def test_loan_officer_cannot_filter_by_a_protected_group(world):
    trafficking = TargetGroup.objects.get(code="victim_of_trafficking")
    register(world, target_groups=[trafficking.pk])
    page = client_for(world.loan_officer_a).get(
        "/beneficiaries/?target_group=victim_of_trafficking"
    )
    assert 'value="victim_of_trafficking"' not in page.content.decode()
    assert "Victim of trafficking" not in page.content.decode()
    # The filter is refused as a whole, so the count cannot reveal who is in the group.
    assert page.context["form"].errors.keys() == {"target_group"}


def test_registration_form_shows_field_errors_and_writes_nothing(world):
    data = beneficiary_data(world, first_name="", date_of_birth="2090-01-01")
    page = client_for(world.intake_a).post("/beneficiaries/new/", data)
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert set(errors) == {"first_name", "date_of_birth"}
    assert 'class="field-error"' in page.content.decode()
    assert Beneficiary.objects.count() == 0


def test_registering_through_the_page_redirects_to_the_detail(world):
    response = client_for(world.intake_a).post("/beneficiaries/new/", beneficiary_data(world))
    person = Beneficiary.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/beneficiaries/{person.pk}/"


def test_duplicate_phone_on_the_page_links_the_existing_record(world):
    existing = register(world)
    data = beneficiary_data(world, first_name="Other", last_name="Person", national_id="X1")
    page = client_for(world.intake_a).post("/beneficiaries/new/", data)
    assert f"/beneficiaries/{existing.pk}/" in page.content.decode()
    assert Beneficiary.objects.count() == 1


def test_similar_name_warns_then_registers_when_confirmed(world):
    register(world)
    data = beneficiary_data(
        world, first_name="Анаит", last_name="Петросян", phone="+37499111222", national_id=""
    )
    client = client_for(world.intake_a)
    warned = client.post("/beneficiaries/new/", data)
    assert warned.status_code == 200 and warned.context["warning"].candidates
    assert Beneficiary.objects.count() == 1
    confirmed = client.post("/beneficiaries/new/", data | {"confirm_duplicate": "1"})
    assert confirmed.status_code == 302
    assert Beneficiary.objects.count() == 2


def test_status_change_and_merge_keep_history(world):
    kept = register(world)
    duplicate = register(
        world, first_name="Anahit", last_name="Petrosian", phone="+37499000111", national_id=""
    )
    assert duplicate.possible_duplicate_of == kept
    manager = client_for(world.manager_a)
    manager.post(f"/beneficiaries/{kept.pk}/status/", {"status": "in_training"})
    kept.refresh_from_db()
    assert kept.status == "in_training"
    assert [h.to_status for h in kept.history.all()] == ["registered", "in_training"]
    response = manager.post(f"/beneficiaries/{duplicate.pk}/merge/", {"kept": kept.pk})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept
    assert kept.consents.count() == 2
    assert (
        manager.get(f"/beneficiaries/{duplicate.pk}/")["Location"] == f"/beneficiaries/{kept.pk}/"
    )


def test_withdrawing_consent_stops_surveys_and_sharing(world):
    person = register(world, consent_sharing="on")
    client_for(world.intake_a).post(
        f"/beneficiaries/{person.pk}/consent/withdraw/",
        {"reason": "Asked by phone", "confirm": "on"},
    )
    assert person.consents.get().withdrawn_on is not None


def test_search_finds_armenian_script_by_latin_name(world):
    register(world, first_name="Անահիտ", last_name="Պետրոսյան")
    page = client_for(world.intake_a).get("/beneficiaries/?q=petrosian")
    assert page.context["page"].paginator.count == 1


def test_list_page_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    for n in range(30):
        register(world, phone=f"+3749100{n:04d}", national_id=f"ID{n}", first_name=f"P{n}x")
    client = client_for(world.intake_a)
    with django_assert_max_num_queries(14):
        page = client.get("/beneficiaries/")
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 25


def test_htmx_search_returns_only_the_results_fragment(world):
    register(world)
    page = client_for(world.intake_a).get("/beneficiaries/?q=Anahit", HTTP_HX_REQUEST="true")
    assert "<html" not in page.content.decode()
    assert 'class="results"' in page.content.decode()


def test_admin_is_scoped_to_the_administrators_organisation(world):
    register(world)
    world.admin.is_staff = True
    world.admin.save()
    client = client_for(world.admin)
    branches = client.get("/admin/orgs/branch/")
    assert branches.status_code == 200
    assert "Branch A" in branches.content.decode()
    assert "Branch Y" not in branches.content.decode()
    assert client.get(f"/admin/orgs/branch/{world.other_branch.pk}/change/").status_code == 302


@pytest.mark.parametrize("language", ["ur"])
def test_urdu_pages_are_right_to_left(world, language, settings):
    client = client_for(world.intake_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    assert 'dir="rtl"' in client.get("/beneficiaries/").content.decode()


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "tandir.settings_production",
        "TANDIR_SECRET_KEY": "x" * 20 + "Yz7!q" * 8,
        "TANDIR_ALLOWED_HOSTS": "tandir.example.org",
        "TANDIR_HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_editing_a_person_without_a_locality_saves(world):
    person = register(world)
    data = beneficiary_data(world, first_name="Anahit-Maria")
    response = client_for(world.intake_a).post(f"/beneficiaries/{person.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    person.refresh_from_db()
    assert person.first_name == "Anahit-Maria" and person.locality is None
