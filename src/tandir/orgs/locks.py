"""Row locks of organisations and staff, in one place and in primary-key order."""

from __future__ import annotations

from tandir.orgs.models import StaffUser


def lock_staff_user(user_id: int) -> StaffUser:
    return StaffUser.objects.select_for_update().get(pk=user_id)
