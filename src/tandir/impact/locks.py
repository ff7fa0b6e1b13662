"""Row locks of impact monitoring: an instrument is locked before its versions change, so two
M&E officers opening a new version at once cannot both make version 3."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tandir.core.errors import NotFound
from tandir.impact.models import Instrument


def lock_instrument(organization_id: int, instrument_id: int) -> Instrument:
    instrument = (
        Instrument.objects.select_for_update()
        .filter(pk=instrument_id, organization_id=organization_id)
        .first()
    )
    if instrument is None:
        raise NotFound(_("No such instrument."))
    return instrument
