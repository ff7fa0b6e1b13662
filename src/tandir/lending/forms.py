"""Forms of the lending pages. They parse what was typed; the rules live in the actions.

Amounts are checked against the currency's minor unit here, because an amount with too many
decimals is a typing mistake the officer should see on the field, not a refusal of the loan.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandir.core.money import AMOUNT_DIGITS, AMOUNT_PLACES, money
from tandir.engine import Frequency, minor_unit
from tandir.lending.models import (
    BankBranch,
    Centre,
    ChangeKind,
    FundingSource,
    LoanProduct,
    LoanStatus,
    Sector,
    SolidarityGroup,
    Weekday,
)
from tandir.orgs.access import scope
from tandir.orgs.models import Branch, StaffUser

EMPTY_CHOICE: list[tuple[str, Any]] = [("", "---------")]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FREQUENCY_LABELS = {
    Frequency.WEEKLY: _("Weekly"),
    Frequency.BIWEEKLY: _("Every two weeks"),
    Frequency.FOURWEEKLY: _("Every four weeks"),
    Frequency.MONTHLY: _("Monthly"),
    Frequency.QUARTERLY: _("Quarterly"),
}
FREQUENCY_CHOICES = [(f.value, FREQUENCY_LABELS[f]) for f in Frequency]


def amount(label: Any, *, required: bool = True, positive: bool = True) -> forms.DecimalField:
    """An amount; its currency's own decimals are checked by `check_decimals`."""
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0.001") if positive else Decimal(0),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


def check_decimals(form: forms.Form, names: list[str], currency: str) -> None:
    """An error on each amount with more decimals than the currency has."""
    places = minor_unit(currency)
    for name in names:
        value = form.cleaned_data.get(name)
        if value is not None and value != value.quantize(Decimal(1).scaleb(-places)):
            form.add_error(
                name,
                _("%(currency)s amounts have at most %(places)d decimals.")
                % {"currency": currency, "places": places},
            )


def not_in_future(value: datetime.date | None) -> datetime.date | None:
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(_("This date is in the future."))
    return value


def new_key(prefix: str) -> str:
    """An idempotency key for one form as rendered: sending it twice records once."""
    return f"{prefix}-{uuid.uuid4().hex}"


def products_for(user: Any) -> QuerySet[LoanProduct]:
    return scope(user, LoanProduct.objects.filter(is_active=True), branch_field=None)


def groups_for(user: Any) -> QuerySet[SolidarityGroup]:
    return scope(user, SolidarityGroup.objects.all()).select_related("centre")


def branches_for(user: Any) -> QuerySet[Branch]:
    return scope(user, Branch.objects.all(), branch_field="pk")


# --- The cycle --------------------------------------------------------------------------------


class ApplicationForm(forms.Form):
    product = forms.ModelChoiceField(queryset=LoanProduct.objects.none(), label=_("product"))
    amount = amount(_("amount"))
    term = forms.IntegerField(label=_("number of installments"), min_value=1, max_value=600)
    frequency = forms.ChoiceField(
        label=_("repaid"), choices=FREQUENCY_CHOICES, initial=Frequency.MONTHLY
    )
    rate = forms.DecimalField(
        label=_("rate or markup % a year"),
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=3,
        help_text=_("Empty: the product's lowest."),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    purpose = forms.CharField(label=_("purpose"), max_length=300)
    sector = forms.ChoiceField(label=_("sector"), choices=EMPTY_CHOICE + Sector.choices)
    grace_principal = forms.IntegerField(
        label=_("installments of principal grace"), min_value=0, max_value=600, initial=0
    )
    grace_interest = forms.IntegerField(
        label=_("installments of interest grace"), min_value=0, max_value=600, initial=0
    )
    first_due = forms.DateField(label=_("first due date"), required=False, widget=DATE)
    group = forms.ModelChoiceField(
        queryset=SolidarityGroup.objects.none(),
        required=False,
        label=_("solidarity group"),
        help_text=_("The group guaranteeing the loan, if any."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = products_for(user)
        self.fields["product"].queryset = products  # type: ignore[attr-defined]
        self.fields["group"].queryset = groups_for(user)  # type: ignore[attr-defined]
        if not self.is_bound and len(products) == 1:
            self.fields["product"].initial = products[0]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        product = data.get("product")
        if product is not None:
            version = product.versions.order_by("-number").first()
            if version is not None:
                check_decimals(self, ["amount"], version.currency)
        return data


class GuarantorForm(forms.Form):
    name = forms.CharField(label=_("guarantor's name"), max_length=200, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    relationship = forms.CharField(label=_("relationship"), max_length=100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        others = any(data.get(n) for n in ("id_number", "phone", "relationship"))
        if others and not data.get("name"):
            self.add_error("name", _("Give the guarantor's name."))
        return data


GuarantorFormSet = forms.formset_factory(GuarantorForm, extra=2, max_num=5, validate_max=True)


class AppraisalForm(forms.Form):
    business_income = amount(_("business income per month"), positive=False)
    business_expenses = amount(_("business expenses per month"), positive=False)
    household_income = amount(_("other household income per month"), positive=False)
    household_expenses = amount(_("household expenses per month"), positive=False)
    existing_debt_payments = amount(_("payments on other debts per month"), positive=False)
    site_visit_notes = forms.CharField(
        label=_("site visit"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    recommendation = forms.ChoiceField(
        label=_("recommendation"),
        choices=[("approve", _("Approve")), ("modify", _("Modify")), ("reject", _("Reject"))],
    )
    override_reason = forms.CharField(
        label=_("override of the capacity rule, with the reason"),
        required=False,
        max_length=500,
        help_text=_("Only where the installment is more than the rule allows."),
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        for name in ("household_income", "existing_debt_payments"):
            self.fields[name].required = False
            self.fields[name].initial = 0

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_decimals(
            self,
            [n for n in self.fields if n.endswith(("income", "expenses", "payments"))],
            self.currency,
        )
        for name in ("household_income", "existing_debt_payments"):
            if data.get(name) is None:
                data[name] = Decimal(0)
        return data


class ApproveForm(forms.Form):
    amount = amount(_("amount approved"))
    fund = forms.ModelChoiceField(queryset=FundingSource.objects.none(), label=_("fund"))
    bank_branch = forms.ModelChoiceField(
        queryset=BankBranch.objects.none(), label=_("bank branch where the client collects")
    )
    note = forms.CharField(label=_("note"), required=False, max_length=500)

    def __init__(self, *args: Any, loan: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = loan.currency
        funds = FundingSource.objects.filter(
            organization_id=loan.organization_id, currency=loan.currency
        )
        self.fields["fund"].queryset = funds  # type: ignore[attr-defined]
        self.fields["bank_branch"].queryset = BankBranch.objects.filter(  # type: ignore[attr-defined]
            organization_id=loan.organization_id
        ).select_related("bank")
        if not self.is_bound:
            self.fields["amount"].initial = money(loan.amount, loan.currency).amount
            self.fields["fund"].initial = loan.fund_id
            self.fields["bank_branch"].initial = loan.bank_branch_id

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_decimals(self, ["amount"], self.currency)
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)


class InstructForm(forms.Form):
    loans: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None, label=_("loans"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, ready: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loans"].queryset = ready  # type: ignore[attr-defined]


class ConfirmDisbursementForm(forms.Form):
    bank_reference = forms.CharField(label=_("bank reference"), max_length=60)
    on = forms.DateField(
        label=_("paid out on"), widget=DATE, initial=timezone.localdate, validators=[]
    )

    def clean_on(self) -> datetime.date | None:
        return not_in_future(self.cleaned_data.get("on"))


# --- Repayments and corrections ---------------------------------------------------------------


class RepaymentForm(forms.Form):
    amount = amount(_("amount received"))
    value_date = forms.DateField(label=_("value date"), widget=DATE, initial=timezone.localdate)
    bank_reference = forms.CharField(
        label=_("bank or cash-book reference"), max_length=120, required=False
    )
    reference = forms.CharField(widget=forms.HiddenInput, max_length=120)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        if not self.is_bound:
            self.fields["reference"].initial = new_key("counter")

    def clean_value_date(self) -> datetime.date | None:
        return not_in_future(self.cleaned_data.get("value_date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_decimals(self, ["amount"], self.currency)
        return data


class PayoffForm(forms.Form):
    value_date = forms.DateField(label=_("paid off on"), widget=DATE, initial=timezone.localdate)
    reference = forms.CharField(widget=forms.HiddenInput, max_length=120, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["reference"].initial = new_key("payoff")

    def clean_value_date(self) -> datetime.date | None:
        return not_in_future(self.cleaned_data.get("value_date"))


class ChangeRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("change"), choices=ChangeKind.choices)
    reason = forms.CharField(label=_("reason"), max_length=500)
    term = forms.IntegerField(
        label=_("new number of installments"), min_value=1, max_value=600, required=False
    )
    rate = forms.DecimalField(
        label=_("new rate or markup %"), min_value=0, max_digits=7, decimal_places=3,
        required=False,
    )  # fmt: skip
    first_due = forms.DateField(label=_("new first due date"), required=False, widget=DATE)
    frequency = forms.ChoiceField(
        label=_("repaid"), choices=EMPTY_CHOICE + FREQUENCY_CHOICES, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ChangeKind.RESCHEDULE and not data.get("term"):
            self.add_error("term", _("Give the new number of installments."))
        return data

    def terms(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data["kind"] != ChangeKind.RESCHEDULE:
            return None
        return {
            "term": data["term"],
            "rate": str(data["rate"]) if data.get("rate") is not None else None,
            "first_due": data["first_due"].isoformat() if data.get("first_due") else None,
            "frequency": data.get("frequency") or None,
        }


class DecideChangeForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)


class RefundForm(forms.Form):
    on = forms.DateField(label=_("refunded on"), widget=DATE, initial=timezone.localdate)
    bank_reference = forms.CharField(label=_("bank reference"), max_length=120)

    def clean_on(self) -> datetime.date | None:
        return not_in_future(self.cleaned_data.get("on"))


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("what happened"), max_length=500)
    promised_on = forms.DateField(label=_("promised to pay on"), required=False, widget=DATE)
    promised_amount = amount(_("promised amount"), required=False)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_decimals(self, ["promised_amount"], self.currency)
        if data.get("promised_amount") is not None and not data.get("promised_on"):
            self.add_error("promised_on", _("Give the date of the promise."))
        return data


DOCUMENT_KINDS = [
    ("id_copy", _("Copy of the ID document")),
    ("business_photo", _("Photo of the business")),
    ("guarantee", _("Guarantee letter")),
    ("agreement", _("Signed agreement")),
    ("invoice", _("Invoice of the asset (Murabaha)")),
    ("other", _("Other")),
]


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("document"), choices=DOCUMENT_KINDS)
    file = forms.FileField(
        label=_("file"),
        help_text=_("PDF, JPEG or PNG, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def clean_file(self) -> Any:
        from tandir.lending.actions import DOCUMENT_MAX_BYTES

        upload = self.cleaned_data.get("file")
        # Refused before it is read into memory; the action checks the content itself.
        if upload is not None and upload.size > DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(_("A document may be at most 5 MB."))
        return upload


class OptionalDocumentForm(DocumentForm):
    """A document sent with the application itself; the application stands without one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].required = False
        self.fields["kind"].required = False


class FundsReceivedForm(forms.Form):
    fund = forms.ModelChoiceField(queryset=FundingSource.objects.none(), label=_("fund"))
    amount = amount(_("amount received"))
    on = forms.DateField(label=_("received on"), widget=DATE, initial=timezone.localdate)
    memo = forms.CharField(label=_("from whom, what for"), max_length=300, required=False)

    def __init__(self, *args: Any, funds: QuerySet[FundingSource], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = funds  # type: ignore[attr-defined]

    def clean_on(self) -> datetime.date | None:
        return not_in_future(self.cleaned_data.get("on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fund") is not None:
            check_decimals(self, ["amount"], data["fund"].currency)
        return data


# --- Lists ------------------------------------------------------------------------------------


class LoanFilterForm(forms.Form):
    q = forms.CharField(
        label=_("reference or name"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("any status")), *LoanStatus.choices], required=False
    )
    branch = forms.ModelChoiceField(
        queryset=Branch.objects.none(), required=False, label=_("branch"),
        empty_label=_("any branch"),
    )  # fmt: skip
    product = forms.ModelChoiceField(
        queryset=LoanProduct.objects.none(), required=False, label=_("product"),
        empty_label=_("any product"),
    )  # fmt: skip
    officer = forms.ModelChoiceField(
        queryset=StaffUser.objects.none(), required=False, label=_("loan officer"),
        empty_label=_("any loan officer"),
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches_for(user)  # type: ignore[attr-defined]
        self.fields["officer"].queryset = staff_choices(user).filter(  # type: ignore[attr-defined]
            role__in=["loan_officer", "branch_manager"]
        )
        self.fields["product"].queryset = scope(  # type: ignore[attr-defined]
            user, LoanProduct.objects.all(), branch_field=None
        )


class CollectionsForm(forms.Form):
    by = forms.ChoiceField(
        label=_("grouped by"),
        choices=[("locality", _("locality")), ("group", _("solidarity group"))],
        required=False,
    )
    everyone = forms.BooleanField(label=_("all loan officers of my branches"), required=False)


# --- Groups, centres, collection sheets ------------------------------------------------------


class CentreForm(forms.Form):
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), label=_("branch"))
    name = forms.CharField(label=_("name"), max_length=200)
    meeting_day = forms.TypedChoiceField(
        label=_("meeting day"), choices=Weekday.choices, coerce=int
    )
    meeting_place = forms.CharField(label=_("meeting place"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = branches_for(user)
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]
        if not self.is_bound and len(branches) == 1:
            self.fields["branch"].initial = branches[0]


class GroupForm(CentreForm):
    centre = forms.ModelChoiceField(
        queryset=Centre.objects.none(), required=False, label=_("centre")
    )
    meeting_day = forms.TypedChoiceField(
        label=_("meeting day"),
        choices=[*EMPTY_CHOICE, *Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )

    field_order = ["branch", "centre", "name", "meeting_day", "meeting_place"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["centre"].queryset = scope(user, Centre.objects.all())  # type: ignore[attr-defined]


def staff_choices(user: Any) -> QuerySet[StaffUser]:
    return scope(user, StaffUser.objects.filter(is_active=True), branch_field=None)
