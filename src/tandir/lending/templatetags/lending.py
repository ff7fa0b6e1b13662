"""Template tags of the lending pages: links to pages other parts may not offer yet, and a
person's loans for the registry's person page (whose view knows nothing of lending)."""

from __future__ import annotations

import datetime
import html
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy

from tandir.core import formatting
from tandir.lending.queries import person_loans
from tandir.orgs.roles import Right, has_right

register = template.Library()


@register.simple_tag
def link(name: str, **kwargs: Any) -> str:
    """The URL of a named page, or "" when it does not exist (the template then shows no link)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def user_can(context: template.Context, right: str) -> bool:
    """Whether the reader's role grants a right (`Right` value), for links to other pages."""
    request = context.get("request")
    return has_right(getattr(request, "user", None), Right(right))


@register.simple_tag(takes_context=True)
def loans_of(context: template.Context, person: Any) -> dict[str, Any]:
    """The person's loans the reader may open, and whether the reader may take an application."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "loans": person_loans(user, person.pk) if has_right(user, Right.SEE_RECORDS) else [],
        "can_apply": has_right(user, Right.APPLY),
    }


@register.filter
def amount(value: Decimal | None, currency: str) -> str:
    """`{% money %}` for long tables: the same text, remembered per language, since a loan's
    schedule and payments repeat the same few amounts hundreds of times."""
    if value is None:
        return ""
    return _formatted(value, currency, get_language() or "en")


@lru_cache(maxsize=4096)
def _formatted(value: Decimal, currency: str, language: str) -> str:
    return formatting.money(value, currency)


@register.filter
def day(value: datetime.date | None) -> str:
    """`localdate` for long tables, remembered per language like `amount`."""
    if value is None:
        return ""
    return _day(value, get_language() or "en")


@lru_cache(maxsize=4096)
def _day(value: datetime.date, language: str) -> str:
    return formatting.date(value)


@register.filter
def frequency_label(value: str) -> str:
    from tandir.lending.forms import FREQUENCY_LABELS

    labels = {str(key): label for key, label in FREQUENCY_LABELS.items()}
    return str(labels.get(value, value))


EVENT_LABELS = {
    "submit": gettext_lazy("application taken"),
    "approve": gettext_lazy("approved"),
    "reject": gettext_lazy("rejected"),
    "withdraw": gettext_lazy("withdrawn"),
    "undo_approval": gettext_lazy("approval undone"),
    "disburse": gettext_lazy("paid out by the bank"),
    "undo_disbursal": gettext_lazy("disbursal undone"),
    "repay": gettext_lazy("repayment"),
    "reverse_repayment": gettext_lazy("repayment reversed"),
    "reschedule": gettext_lazy("rescheduled"),
    "write_off": gettext_lazy("written off"),
    "refund": gettext_lazy("credit refunded"),
    "penalty": gettext_lazy("penalty charged"),
}


@register.filter
def event_label(action: str) -> str:
    """What a loan event's action code means, in the reader's language."""
    return str(EVENT_LABELS.get(action, action))


@register.filter
def component_label(value: str) -> str:
    from tandir.lending.models import Component

    try:
        return str(Component(value).label)
    except ValueError:
        return value


@register.simple_tag
def ledger_rows(entries: list[Any]) -> SafeString:
    """The rows of a loan's ledger table, written here rather than by the template engine: a
    loan with 500 payments has some 1,500 lines, and the page is read while the client waits."""
    from tandir.ledger.models import EntryKind

    language = get_language() or "en"
    kinds = {value: str(label) for value, label in EntryKind.choices}
    escape = html.escape
    out: list[str] = []
    for entry in entries:
        for n, line in enumerate(entry.lines):
            first = n == 0
            date = _day(entry.entry_date, language) if first else ""
            label = escape(kinds.get(entry.kind, entry.kind))
            kind = f'{label} <span class="muted">#{entry.pk}</span>' if first else ""
            debit = _formatted(line.debit, line.currency, language) if line.debit else ""
            credit = _formatted(line.credit, line.currency, language) if line.credit else ""
            start = ' class="entry-start"' if first else ""
            out.append(
                f"<tr{start}><td>{date}</td><td>{kind}</td>"
                f"<td>{escape(line.account_code)} {escape(line.account_name)}</td>"
                f'<td class="num">{escape(debit)}</td><td class="num">{escape(credit)}</td></tr>'
            )
    # Every value above went through `escape`.
    return mark_safe("\n".join(out))


@register.simple_tag
def transaction_rows(repayments: list[Any], can_reverse: bool) -> SafeString:
    """The rows of a loan's transactions table (its repayments), written here for the reason
    `ledger_rows` gives; the view has set each repayment's labels and links."""
    language = get_language() or "en"
    escape = html.escape
    labels = {
        "date": gettext("Value date"),
        "receipt": gettext("Receipt"),
        "amount": gettext("Amount"),
        "channel": gettext("Channel"),
    }
    label = {key: escape(value) for key, value in labels.items()}
    reversed_word = escape(gettext("reversed"))
    reverse_word = escape(gettext("Reverse"))
    recovery_word = escape(gettext("recovery"))
    out: list[str] = []
    for r in repayments:
        number = escape(r.receipt_number)
        receipt = f'<a href="{escape(r.receipt_url)}">{number}</a>' if r.receipt_url else number
        channel = escape(str(r.source_label)) + (f" · {recovery_word}" if r.is_recovery else "")
        if r.reversed_at:
            last = f'<span class="badge late">{reversed_word}</span> {escape(r.reversal_reason)}'
        elif can_reverse:
            last = f'<a href="{escape(r.reverse_url)}">{reverse_word}</a>'
        else:
            last = ""
        by = escape(r.received_by.username) if r.received_by_id else ""
        row = '<tr class="reversed">' if r.reversed_at else "<tr>"
        out.append(
            row
            + f'<td data-label="{label["date"]}">{escape(_day(r.value_date, language))}</td>'
            + f'<td data-label="{label["receipt"]}">{receipt}</td>'
            + f'<td data-label="{label["amount"]}" class="num">'
            + f"{escape(_formatted(r.amount, r.currency, language))}</td>"
            + f'<td data-label="{label["channel"]}">{channel}</td>'
            + f'<td class="hide-narrow">{escape(r.bank_reference)}</td>'
            + f'<td class="hide-medium">{by}</td><td>{last}</td></tr>'
        )
    # Every value above went through `escape`.
    return mark_safe("\n".join(out))
