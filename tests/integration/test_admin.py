"""The admin as an attacker would use it: direct POSTs by an organisation's administrator."""

from __future__ import annotations

import pytest
from django.test import Client

from tandir.core.models import AccessLog, TargetGroup
from tandir.orgs.models import Branch, Organization, Role, StaffUser
from tests.factories import PASSWORD, World, register


def admin_client(world: World) -> Client:
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    client = Client()
    assert client.login(username=world.admin.username, password=PASSWORD)
    return client


def change_data(user: StaffUser, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": user.username,
        "first_name": "Ani",
        "last_name": "Admin",
        "email": "",
        "role": user.role,
        "branches": [b.pk for b in user.branches.all()],
        "preferred_language": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_staff_change_page_renders_without_platform_fields(world: World) -> None:
    client = admin_client(world)
    page = client.get(f"/admin/orgs/staffuser/{world.intake_a.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    for platform_field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert platform_field not in form.fields
    assert "organization" not in form.fields
    branch_ids = {b.pk for b in form.fields["branches"].queryset}
    assert branch_ids == {world.branch_a.pk, world.branch_b.pk}


def test_administrator_cannot_make_themselves_superuser_by_a_direct_post(world: World) -> None:
    client = admin_client(world)
    response = client.post(
        f"/admin/orgs/staffuser/{world.admin.pk}/change/",
        change_data(
            world.admin,
            is_superuser="on",
            is_staff="on",
            organization=world.other_org.pk,
            user_permissions=["1", "2"],
        ),
    )
    assert response.status_code == 302
    world.admin.refresh_from_db()
    assert not world.admin.is_superuser
    assert world.admin.organization_id == world.org.pk
    assert not world.admin.user_permissions.exists()


def test_a_branch_of_another_organisation_is_refused(world: World) -> None:
    client = admin_client(world)
    response = client.post(
        f"/admin/orgs/staffuser/{world.admin.pk}/change/",
        change_data(world.admin, branches=[world.other_branch.pk]),
    )
    assert response.status_code == 200  # the form answers with an error
    assert "branches" in response.context["adminform"].form.errors
    assert not world.admin.branches.filter(pk=world.other_branch.pk).exists()


def test_a_new_user_joins_the_administrators_organisation_without_platform_rights(
    world: World,
) -> None:
    client = admin_client(world)
    response = client.post(
        "/admin/orgs/staffuser/add/",
        {
            "username": "new_trainer",
            "password1": "Correct-horse-battery-9",
            "password2": "Correct-horse-battery-9",
            "role": Role.TRAINER,
            "branches": [world.branch_a.pk],
            "preferred_language": "hy",
            "is_superuser": "on",
            "organization": world.other_org.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = StaffUser.objects.get(username="new_trainer")
    assert user.organization_id == world.org.pk
    assert not user.is_superuser and not user.is_staff
    assert list(user.branches.all()) == [world.branch_a]


def test_an_administrator_account_gets_the_admin_from_its_role(world: World) -> None:
    client = admin_client(world)
    client.post(
        f"/admin/orgs/staffuser/{world.manager_a.pk}/change/",
        change_data(world.manager_a, role=Role.ADMINISTRATOR),
    )
    world.manager_a.refresh_from_db()
    assert world.manager_a.is_staff and not world.manager_a.is_superuser


def test_superusers_and_other_organisations_users_are_out_of_reach(world: World) -> None:
    operator = StaffUser.objects.create_superuser("operator", password=PASSWORD)
    in_org_superuser = StaffUser.objects.create_superuser(
        "org_super", password=PASSWORD, organization=world.org
    )
    client = admin_client(world)
    for user in (operator, in_org_superuser, world.other_intake):
        page = client.get(f"/admin/orgs/staffuser/{user.pk}/change/")
        assert page.status_code == 302  # "does not exist" redirect to the list
        client.post(f"/admin/orgs/staffuser/{user.pk}/change/", change_data(user, role="trainer"))
        user.refresh_from_db()
        assert user.role != Role.TRAINER


def test_organisation_pages_render_and_only_the_own_organisation_is_editable(
    world: World,
) -> None:
    client = admin_client(world)
    assert client.get("/admin/orgs/organization/").status_code == 200
    own = client.get(f"/admin/orgs/organization/{world.org.pk}/change/")
    assert own.status_code == 200
    assert "kind" not in own.context["adminform"].form.fields
    response = client.post(
        f"/admin/orgs/organization/{world.other_org.pk}/change/",
        {"name": "Taken over", "currency": "USD"},
    )
    assert response.status_code in (302, 403)
    world.other_org.refresh_from_db()
    assert world.other_org.name == "Org Y"
    assert client.get("/admin/orgs/organization/add/").status_code == 403


def test_a_branch_posted_for_another_organisation_lands_in_the_administrators(
    world: World,
) -> None:
    client = admin_client(world)
    response = client.post(
        "/admin/orgs/branch/add/",
        {"name": "Branch C", "code": "C", "organization": world.other_org.pk},
    )
    assert response.status_code == 302
    assert Branch.objects.get(code="C").organization_id == world.org.pk
    client.post(
        f"/admin/orgs/branch/{world.other_branch.pk}/change/",
        {"name": "Renamed", "code": "Y"},
    )
    world.other_branch.refresh_from_db()
    assert world.other_branch.name == "Branch Y"


def test_an_organisation_administrator_cannot_unprotect_a_target_group(world: World) -> None:
    group = TargetGroup.objects.get(code="victim_of_trafficking")
    client = admin_client(world)
    response = client.post(
        f"/admin/core/targetgroup/{group.pk}/change/",
        {"code": group.code, "name": group.name, "sort_order": 0},
    )
    assert response.status_code == 403
    group.refresh_from_db()
    assert group.is_protected


@pytest.mark.parametrize("path", ["/admin/", "/admin/orgs/staffuser/", "/admin/orgs/branch/"])
def test_admin_pages_render_for_an_organisation_administrator(world: World, path: str) -> None:
    assert admin_client(world).get(path).status_code == 200


def test_opening_a_protected_person_in_the_admin_writes_the_access_log(world: World) -> None:
    person = register(
        world, target_groups=[TargetGroup.objects.get(code="victim_of_trafficking").pk]
    )
    client = admin_client(world)
    before = AccessLog.objects.count()
    assert client.get(f"/admin/registry/beneficiary/{person.pk}/change/").status_code == 200
    logged = AccessLog.objects.filter(record_id=person.pk, channel="admin")
    assert AccessLog.objects.count() == before + 1 and logged.count() == 1


def test_organisation_admin_cannot_delete_people_or_branches(world: World) -> None:
    person = register(world)
    client = admin_client(world)
    client.post(f"/admin/registry/beneficiary/{person.pk}/delete/", {"post": "yes"})
    client.post(f"/admin/orgs/branch/{world.branch_b.pk}/delete/", {"post": "yes"})
    assert Branch.objects.filter(pk=world.branch_b.pk).exists()
    assert Organization.objects.filter(pk=world.org.pk).exists()
    from tandir.registry.models import Beneficiary

    assert Beneficiary.objects.filter(pk=person.pk).exists()
