"""Logins and sessions: failed logins are recorded and throttled per account and address
(django-axes), passwords are checked against Django's validators, and idle sessions end."""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as DjangoSettings

from tandir.demo.loader import DEMO_PASSWORD
from tandir.orgs.models import StaffUser
from tandir.web.middleware import LAST_SEEN_KEY
from tests.factories import PASSWORD, World

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

LOGIN = "/accounts/login/"
OFFICE = "203.0.113.10"
ELSEWHERE = "198.51.100.20"


def log_in(
    client: Client, username: str, password: str, address: str = OFFICE, path: str = LOGIN
) -> TestResponse:
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client: Client, username: str, times: int, address: str = OFFICE) -> None:
    for _ in range(times):
        assert log_in(client, username, "not-the-password", address).status_code == 200


def test_a_failed_login_is_recorded_with_account_address_and_time(world: World) -> None:
    before = timezone.now()
    response = log_in(Client(), world.intake_a.username, "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    record = AccessFailureLog.objects.get()
    assert record.username == world.intake_a.username
    assert record.ip_address == OFFICE
    assert record.attempt_time >= before
    assert not record.locked_out
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == 1
    # The password tried is not kept.
    assert "not-the-password" not in attempt.post_data


def test_five_failures_lock_that_account_from_that_address_only(world: World) -> None:
    client = Client()
    fail(client, world.intake_a.username, 4)
    fifth = log_in(client, world.intake_a.username, "not-the-password")
    assert fifth.status_code == 429

    refused = log_in(client, world.intake_a.username, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed logins for this account from this address" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessFailureLog.objects.filter(locked_out=True).exists()

    # The same person from another address, and a colleague from the same one, still log in.
    assert log_in(Client(), world.intake_a.username, PASSWORD, ELSEWHERE).status_code == 302
    assert log_in(Client(), world.manager_a.username, PASSWORD, OFFICE).status_code == 302


def test_the_admin_login_counts_and_locks_with_the_same_rule(world: World) -> None:
    client = Client()
    fail(client, world.admin.username, 3)
    for _ in range(2):
        log_in(client, world.admin.username, "not-the-password", path="/admin/login/")
    assert log_in(client, world.admin.username, PASSWORD).status_code == 429


def test_the_lock_lifts_after_the_cool_off(world: World, settings: DjangoSettings) -> None:
    client = Client()
    fail(client, world.intake_a.username, 4)
    assert log_in(client, world.intake_a.username, "not-the-password").status_code == 429
    assert log_in(client, world.intake_a.username, PASSWORD).status_code == 429
    long_ago = timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=long_ago)
    assert log_in(client, world.intake_a.username, PASSWORD).status_code == 302


def test_a_successful_login_forgets_the_earlier_failures(world: World) -> None:
    client = Client()
    fail(client, world.intake_a.username, 4)
    assert log_in(client, world.intake_a.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    other = Client()
    fail(other, world.intake_a.username, 4)
    assert log_in(other, world.intake_a.username, PASSWORD).status_code == 302


def test_behind_a_proxy_failures_count_by_the_address_the_proxy_saw(
    world: World, settings: DjangoSettings
) -> None:
    # What a client writes into X-Forwarded-For itself must not let it dodge the count.
    forwarded = f"10.9.9.9, {ELSEWHERE}"
    credentials = {"username": "x", "password": "y"}
    Client().post(LOGIN, credentials, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert AccessFailureLog.objects.get().ip_address == "127.0.0.1"

    settings.TANDIR_PROXY_COUNT = 1
    Client().post(LOGIN, credentials, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert AccessFailureLog.objects.latest("attempt_time").ip_address == ELSEWHERE


def test_client_login_in_tests_and_scripts_still_works(world: World) -> None:
    # Django's test client authenticates without a request; nothing is counted for it.
    assert Client().login(username=world.intake_a.username, password=PASSWORD)
    assert not Client().login(username=world.intake_a.username, password="wrong")
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("password123", "password_too_common"),
        ("90817263544", "password_entirely_numeric"),
        ("anahit.petrosyan", "password_too_similar"),
        ("short1", "password_too_short"),
    ],
)
def test_weak_passwords_are_refused(password: str, code: str) -> None:
    user = StaffUser(username="anahit.petrosyan", first_name="Anahit", last_name="Petrosyan")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert code in {error.code for error in refused.value.error_list}


def test_the_demo_and_test_passwords_pass_the_validators(db: None) -> None:
    call_command(
        "createadmin", username="am.admin", organization="Demo MFI", password=DEMO_PASSWORD
    )
    assert StaffUser.objects.get(username="am.admin").check_password(DEMO_PASSWORD)
    validate_password(PASSWORD, StaffUser(username="am.intake"))


def logged_in_client(user: StaffUser) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    return client


def idle_for(client: Client, seconds: int) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_a_session_idle_longer_than_the_timeout_ends_with_a_message(world: World) -> None:
    client = logged_in_client(world.intake_a)
    idle_for(client, 31 * 60)
    response = client.get("/beneficiaries/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=/beneficiaries/")
    page = client.get(response["Location"])
    assert "logged out after 30 minutes without activity" in page.content.decode()
    assert client.get("/beneficiaries/").status_code == 302


def test_a_session_in_use_stays_open_and_moves_its_expiry(world: World) -> None:
    client = logged_in_client(world.intake_a)
    idle_for(client, 29 * 60)
    assert client.get("/beneficiaries/").status_code == 200
    assert int(time.time()) - client.session[LAST_SEEN_KEY] < 5
    stored = Session.objects.get(session_key=client.session.session_key)
    assert stored.expire_date > timezone.now() + datetime.timedelta(minutes=29)


def test_the_idle_timeout_is_a_setting(world: World, settings: DjangoSettings) -> None:
    settings.TANDIR_SESSION_IDLE_MINUTES = 5
    client = logged_in_client(world.intake_a)
    idle_for(client, 6 * 60)
    assert client.get("/beneficiaries/").status_code == 302


def test_an_htmx_request_after_the_timeout_sends_the_whole_page_to_the_login(
    world: World,
) -> None:
    client = logged_in_client(world.intake_a)
    idle_for(client, 31 * 60)
    response = client.get(
        "/beneficiaries/?q=Anahit",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/beneficiaries/?q=An"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{LOGIN}?next=%2Fbeneficiaries%2F%3Fq%3DAn"


def test_last_seen_is_written_at_most_once_a_minute(world: World) -> None:
    client = logged_in_client(world.intake_a)
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    assert client.get("/beneficiaries/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == first


def test_the_session_cookie_lasts_as_long_as_the_idle_timeout(world: World) -> None:
    client = Client()
    response = log_in(client, world.intake_a.username, PASSWORD)
    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == 30 * 60
