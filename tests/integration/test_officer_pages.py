"""What a programme officer noticed: refusals that explain, questions that must be answered,
dates and amounts that read right in every language."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from tandir.orgs.models import StaffUser
from tandir.registry.models import Beneficiary
from tests.factories import PASSWORD, World, beneficiary_data, register


def client_for(user: StaffUser, language: str = "en") -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_a_missing_right_gets_a_page_with_the_navigation_in_the_users_language(
    world: World,
) -> None:
    page = client_for(world.loan_officer_a, "hy").get("/beneficiaries/new/")
    assert page.status_code == 403
    html = page.content.decode()
    assert 'lang="hy"' in html
    assert 'class="mainnav"' in html
    assert "Not Found" not in html


def test_a_record_outside_scope_is_404_with_the_layout(world: World) -> None:
    person = register(world)
    page = client_for(world.loan_officer_b).get(f"/beneficiaries/{person.pk}/")
    assert page.status_code == 404
    assert 'class="mainnav"' in page.content.decode()


QUESTIONS = ["sex", "education", "economic_activity", "heard_via", "household_head_sex"]


def test_required_choices_start_empty(world: World) -> None:
    html = client_for(world.intake_a).get("/beneficiaries/new/").content.decode()
    for name in QUESTIONS:
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
        assert select, name
        assert '<option value="" selected>' in select.group(1), name


def test_a_skipped_answer_is_a_field_error_not_a_default(world: World) -> None:
    data = beneficiary_data(world)
    for name in ("education", "economic_activity", "heard_via"):
        data[name] = ""
    page = client_for(world.intake_a).post("/beneficiaries/new/", data)
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert {"education", "economic_activity", "heard_via"} <= set(errors)
    assert not Beneficiary.objects.exists()


def test_an_officer_of_one_branch_has_it_chosen(world: World) -> None:
    html = client_for(world.intake_a).get("/beneficiaries/new/").content.decode()
    assert re.search(rf'<option value="{world.branch_a.pk}" selected>', html)


@pytest.mark.parametrize(
    ("language", "born"),
    [("en", "Apr 12, 1990"), ("ru", "12 апр. 1990\u202fг."), ("tr", "12 Nis 1990")],
)
def test_dates_in_lists_are_unambiguous(world: World, language: str, born: str) -> None:
    register(world)
    html = client_for(world.intake_a, language).get("/beneficiaries/").content.decode()
    assert born in html
    assert "4/12/90" not in html and "12.04.90" not in html


@pytest.mark.parametrize(
    ("language", "income"),
    [("en", "AMD\xa0120,000"), ("hy", "120\xa0000\xa0֏"), ("ru", "120\xa0000\xa0AMD")],
)
def test_amounts_follow_the_currencys_customary_digits(
    world: World, language: str, income: str
) -> None:
    person = register(world)
    html = client_for(world.intake_a, language).get(f"/beneficiaries/{person.pk}/").content.decode()
    assert income in html
    assert "120,000.00" not in html


def test_one_word_for_the_people_served(world: World) -> None:
    html = client_for(world.intake_a).get("/beneficiaries/").content.decode()
    assert "Participants" in html
    assert "Beneficiaries" not in html
