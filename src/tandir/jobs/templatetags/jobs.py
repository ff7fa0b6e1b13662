"""How long a run took, in the reader's language ("3 minutes", "12 seconds")."""

from __future__ import annotations

import datetime

from babel.dates import format_timedelta
from django import template
from django.apps import apps

from tandir.core.formatting import current_locale

register = template.Library()


@register.filter
def duration(value: datetime.timedelta | None) -> str:
    if value is None:
        return ""
    return format_timedelta(value, threshold=2, locale=current_locale())


@register.filter
def step_label(code: str) -> str:
    """Close of business's own name for one of its steps, in the reader's language."""
    if not code:
        return ""
    try:
        field = apps.get_model("cob", "CobRun")._meta.get_field("step")
        labels = dict(field.flatchoices)
    except (LookupError, AttributeError, TypeError):
        return code
    return str(labels.get(code, code))
