"""The ledger: an organisation's chart of accounts and its append-only double-entry journal.

A journal entry is never changed or deleted: a correction is a new entry that reverses the one
it corrects and points at it. Every entry balances, debits equal to credits in each currency:
`tandir.ledger.actions.post` checks it before writing, and on PostgreSQL a deferred constraint
trigger checks it again at commit (migration ledger 0002), where triggers also refuse to change
or delete a journal row (on SQLite, changes are refused).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped
from tandir.core.money import amount_field, currency_field, money_constraint
from tandir.ledger.charts import AccountType, Role


class Account(OrganizationScoped):
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(
        _("type"), max_length=20, choices=[(t.value, t.value) for t in AccountType]
    )
    # What posting rules call it; at most one account per role in an organisation.
    role = models.CharField(
        _("role"), max_length=40, blank=True, choices=[(r.value, r.value) for r in Role]
    )

    class Meta:
        ordering = ["organization", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="account_code_unique"),
            models.UniqueConstraint(
                fields=["organization", "role"],
                condition=~models.Q(role=""),
                name="account_role_unique",
            ),
        ]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return f"{self.code} {_(self.name)}"


class EntryKind(models.TextChoices):
    DISBURSEMENT = "disbursement", _("Disbursement")
    REPAYMENT = "repayment", _("Repayment")
    CREDIT_APPLIED = "credit_applied", _("Held credit applied")
    ACCRUAL = "accrual", _("Accrual")
    PROFIT_RELEASE = "profit_release", _("Murabaha profit released")
    PENALTY = "penalty", _("Penalty charged")
    WRITE_OFF = "write_off", _("Write-off")
    RECOVERY = "recovery", _("Recovery after write-off")
    REFUND = "refund", _("Refund of an overpayment")
    FUNDING = "funding", _("Funds received")
    REVERSAL = "reversal", _("Reversal")


class JournalEntry(OrganizationScoped):
    branch = models.ForeignKey(
        "orgs.Branch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry_date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    # The loan the entry belongs to, by id: the ledger sits below lending and knows no loan.
    loan_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry_date", "id"]
        indexes = [models.Index(fields=["organization", "entry_date"])]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.entry_date} {self.kind}"


class JournalLine(OrganizationScoped):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    currency = currency_field()
    debit = amount_field(_("debit"), default=0)
    credit = amount_field(_("credit"), default=0)
    # The entry's date and branch, repeated so a trial balance reads one table.
    entry_date = models.DateField()
    branch = models.ForeignKey(
        "orgs.Branch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["entry", "id"]
        constraints = [
            money_constraint("debit", "currency", name="journal_line_debit_money"),
            money_constraint("credit", "currency", name="journal_line_credit_money"),
            # A line is a debit or a credit, never both and never nothing.
            models.CheckConstraint(
                condition=(models.Q(debit=0) & models.Q(credit__gt=0))
                | (models.Q(credit=0) & models.Q(debit__gt=0)),
                name="journal_line_one_side",
            ),
        ]
        indexes = [models.Index(fields=["organization", "account", "entry_date"])]
