"""/api/v1/beneficiaries: list and search, register, read and change beneficiaries.

Handlers only parse, call the registry (form, actions, queries) and shape the answer; every
rule (scope, duplicates, protected categories) lives in `tandir.registry`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Annotated, Any

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import AfterValidator, WithJsonSchema

from tandir.api.errors import Invalid, form_errors
from tandir.api.idempotency import Answer, answer_once
from tandir.api.messages import pattern
from tandir.api.models import IdempotencyKey
from tandir.api.schemas import (
    BIGGEST_INTEGER,
    NO_NUL,
    SLUG,
    EconomicActivityCode,
    EducationCode,
    ErrorOut,
    HeardViaCode,
    IdDocumentCode,
    Input,
    IsoDate,
    MoneyOut,
    Ref,
    SexCode,
    StatusCode,
    form_choices,
    form_decimal_pattern,
    id_bounds,
    integer_bounds,
    max_length_of,
    omittable,
    one_of,
    text_bounds,
)
from tandir.core.errors import NotAllowed
from tandir.core.models import TargetGroup
from tandir.core.money import money
from tandir.orgs.access import scope
from tandir.orgs.models import Branch, District, Locality, Project
from tandir.orgs.roles import Right, has_right
from tandir.registry.actions import register_beneficiary, update_beneficiary
from tandir.registry.forms import BeneficiaryForm
from tandir.registry.models import Beneficiary, Enrolment
from tandir.registry.queries import (
    access_beneficiary,
    beneficiaries_in_scope,
    log_views,
    search_beneficiaries,
    target_groups_for,
    visible_target_groups,
)

router = Router(tags=["beneficiaries"])

MAX_LIMIT = 200


def _errors(*codes: int) -> dict[int, type[Schema]]:
    return dict.fromkeys(codes, ErrorOut)


# --- Shapes -------------------------------------------------------------------------------


class HouseholdOut(Schema):
    members_count: int
    dependants: int
    head_sex: SexCode
    monthly_income: MoneyOut | None


class BeneficiaryOut(Schema):
    id: int
    first_name: str
    patronymic: str
    last_name: str
    name_latin: str
    sex: SexCode
    date_of_birth: datetime.date
    phone: str
    id_document: IdDocumentCode = Field(description="The document the ID number comes from.")
    national_id: str | None
    branch: Ref
    district: Ref
    target_groups: list[str] = Field(
        description="Codes. Protected groups appear only for roles allowed to see them."
    )
    status: StatusCode
    registered_on: datetime.date
    projects: list[str] = Field(description="Codes of the projects the person is enrolled in.")
    household: HouseholdOut | None
    merged_into: int | None = Field(
        description="Set when this registration was merged into another record; use that one."
    )


class BeneficiaryPage(Schema):
    count: int = Field(description="How many records match, over all pages.")
    limit: int
    offset: int
    items: list[BeneficiaryOut]


DistrictId = Annotated[int, id_bounds(District)]
SLUG_OR_NOTHING = pattern(
    r"^[-a-zA-Z0-9_]*$", gettext_lazy("Enter a code of letters, digits, hyphens or underscores.")
)


class BeneficiaryFilters(Schema):
    q: str = Field(
        "",
        max_length=max_length_of(Beneficiary, "name_latin"),
        pattern=NO_NUL,
        description="Name in any script (Latin, Cyrillic, Armenian), phone or ID.",
    )
    project: str = Field(
        "", max_length=max_length_of(Project, "code"), pattern=NO_NUL, description="Project code."
    )
    district: DistrictId = omittable(description="District id.")
    target_group: str = Field(
        "",
        max_length=max_length_of(TargetGroup, "code"),
        pattern=SLUG_OR_NOTHING,
        description="Target group code.",
    )
    status: StatusCode = omittable()
    sex: SexCode = omittable()
    limit: int = Field(settings.TANDIR_PAGE_SIZE, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=BIGGEST_INTEGER)


# What a request may carry, as the registry's form checks it.
_FORM = BeneficiaryForm.base_fields
FirstName = Annotated[str, text_bounds(_FORM["first_name"])]
Patronymic = Annotated[str, text_bounds(_FORM["patronymic"])]
LastName = Annotated[str, text_bounds(_FORM["last_name"])]
Phone = Annotated[str, text_bounds(_FORM["phone"])]
NationalId = Annotated[str, text_bounds(_FORM["national_id"])]
HeardViaDetail = Annotated[str, text_bounds(_FORM["heard_via_detail"])]
BranchId = Annotated[int, id_bounds(Branch)]
LocalityId = Annotated[int, id_bounds(Locality)]
TargetGroupCode = Annotated[str, Field(max_length=max_length_of(TargetGroup, "code"), pattern=SLUG)]
ProjectCode = Annotated[
    str, Field(min_length=1, max_length=max_length_of(Project, "code"), pattern=NO_NUL)
]
MembersCount = Annotated[int, integer_bounds(_FORM["household_members"])]
Dependants = Annotated[int, integer_bounds(_FORM["household_dependants"])]
_CURRENCIES = form_choices(_FORM["household_income_currency"])
Currency = Annotated[
    str,
    AfterValidator(one_of(_CURRENCIES)),
    WithJsonSchema({"type": "string", "enum": _CURRENCIES, "description": "ISO 4217 code."}),
]


class IncomeIn(Input):
    amount: str = Field(
        pattern=form_decimal_pattern(_FORM["household_income"]),
        description="Decimal string, never a number: `120000` or `120000.50`.",
    )
    currency: Currency


class HouseholdIn(Input):
    members_count: MembersCount
    dependants: Dependants = Field(0, description="Fewer than the members.")
    head_sex: SexCode
    monthly_income: IncomeIn | None = None


class HouseholdPatch(Input):
    members_count: MembersCount = omittable()
    dependants: Dependants = omittable(description="Fewer than the members.")
    head_sex: SexCode = omittable()
    monthly_income: IncomeIn | None = Field(None, description="null removes the income.")


class ConsentIn(Input):
    programme_use: bool = Field(description="Required: must be true to register.")
    follow_up_surveys: bool = False
    network_sharing: bool = False


CONFIRM_DESCRIPTION = (
    "Set true after checking the `candidate_ids` of a `possible_duplicate` answer: "
    "the person is not one of them."
)
DATE_OF_BIRTH = "`YYYY-MM-DD`, within the programme's ages."
ID_DOCUMENT_DESCRIPTION = (
    "The document `national_id` comes from; numbers compare within one kind. "
    "Left out at registration: a national ID card."
)
NOT_RECORDED = "Left out at registration: not recorded (never a guessed answer)."


class BeneficiaryIn(Input):
    first_name: FirstName
    patronymic: Patronymic = ""
    last_name: LastName
    sex: SexCode
    date_of_birth: IsoDate = Field(description=DATE_OF_BIRTH)
    phone: Phone = ""
    id_document: IdDocumentCode = omittable(description=ID_DOCUMENT_DESCRIPTION)
    national_id: NationalId | None = Field(None, description="Optional: refugees may have none.")
    branch: BranchId | None = Field(
        None, description="Branch id; may be left out by staff of one branch."
    )
    district: DistrictId
    locality: LocalityId | None = None
    target_groups: list[TargetGroupCode] = Field(
        [], description="Target group codes; not `youth`, which follows from the age."
    )
    projects: list[ProjectCode] = Field([], description="Codes of projects to enrol the person in.")
    education: EducationCode = omittable(description=NOT_RECORDED)
    economic_activity: EconomicActivityCode = omittable(description=NOT_RECORDED)
    heard_via: HeardViaCode = omittable(description=NOT_RECORDED)
    heard_via_detail: HeardViaDetail = ""
    household: HouseholdIn
    consent: ConsentIn
    confirm_possible_duplicate: bool = Field(False, description=CONFIRM_DESCRIPTION)


class BeneficiaryPatch(Input):
    """Only the fields sent change. `projects` adds enrolments; existing ones stay. null clears
    a field that may be empty (patronymic, phone, national ID, details, income)."""

    first_name: FirstName = omittable()
    patronymic: Patronymic | None = None
    last_name: LastName = omittable()
    sex: SexCode = omittable()
    date_of_birth: IsoDate = omittable(description=DATE_OF_BIRTH)
    phone: Phone | None = None
    id_document: IdDocumentCode = omittable(description=ID_DOCUMENT_DESCRIPTION)
    national_id: NationalId | None = None
    branch: BranchId = omittable()
    district: DistrictId = omittable()
    locality: LocalityId | None = Field(None, description="Cannot be removed yet, only changed.")
    target_groups: list[TargetGroupCode] = omittable(
        description="Replaces the groups you can see; protected ones you cannot see stay."
    )
    projects: list[ProjectCode] = omittable(description="Adds enrolments; existing ones stay.")
    education: EducationCode = omittable()
    economic_activity: EconomicActivityCode = omittable()
    heard_via: HeardViaCode = omittable()
    heard_via_detail: HeardViaDetail | None = None
    household: HouseholdPatch = omittable(description="Merged field by field.")
    confirm_possible_duplicate: bool = Field(False, description=CONFIRM_DESCRIPTION)


# --- From the API's shape to the registry's form and back ------------------------------------

# The form's flat names, as the API's nested field paths, for error messages.
FORM_FIELD_PATHS = {
    "household_members": "household.members_count",
    "household_dependants": "household.dependants",
    "household_head_sex": "household.head_sex",
    "household_income": "household.monthly_income.amount",
    "household_income_currency": "household.monthly_income.currency",
    "consent_programme": "consent.programme_use",
    "consent_surveys": "consent.follow_up_surveys",
    "consent_sharing": "consent.network_sharing",
}


def _blank(value: Any) -> Any:
    return "" if value is None else value


def form_data(values: dict[str, Any]) -> dict[str, Any]:
    """The API's nested fields as the flat data `BeneficiaryForm` reads."""
    household = values.get("household") or {}
    income = household.get("monthly_income") or {}
    consent = values.get("consent") or {}
    # The person's own columns are named alike in the API and the form.
    data = {name: _blank(values.get(name)) for name in Beneficiary.PERSON_FIELDS}
    data.update(
        target_groups=list(values.get("target_groups") or []),
        projects=list(values.get("projects") or []),
        household_members=_blank(household.get("members_count")),
        household_dependants=_blank(household.get("dependants")),
        household_head_sex=_blank(household.get("head_sex")),
        household_income=_blank(income.get("amount")),
        household_income_currency=_blank(income.get("currency")),
        consent_programme=bool(consent.get("programme_use")),
        consent_surveys=bool(consent.get("follow_up_surveys")),
        consent_sharing=bool(consent.get("network_sharing")),
    )
    return data


def beneficiary_form(data: dict[str, Any], user: Any) -> BeneficiaryForm:
    """The registry's form, with target groups and projects named by code as the API does."""
    form = BeneficiaryForm(data, user=user)
    form.fields["target_groups"].to_field_name = "code"  # type: ignore[attr-defined]
    form.fields["projects"].to_field_name = "code"  # type: ignore[attr-defined]
    return form


def validated(form: BeneficiaryForm) -> dict[str, Any]:
    if not form.is_valid():
        raise Invalid(form_errors(form, FORM_FIELD_PATHS))
    return dict(form.cleaned_data)


def _money(amount: Any, currency: str) -> dict[str, str] | None:
    if amount is None:
        return None
    # The column keeps three decimals; the answer gives the currency's own (120000.00 AMD).
    return {"amount": format(money(amount, currency).amount, "f"), "currency": currency}


def person_columns(beneficiary: Beneficiary) -> dict[str, Any]:
    """The person's own columns as the form reads them (a foreign key by its id): every one of
    them, so a change keeps each column it does not name, one added later included."""
    values = {}
    for name in Beneficiary.PERSON_FIELDS:
        column = Beneficiary._meta.get_field(name)
        assert isinstance(column, models.Field)
        values[name] = getattr(beneficiary, column.attname)
    return values


def current_values(user: Any, beneficiary: Beneficiary) -> dict[str, Any]:
    """A record as API input, the base a PATCH is applied to."""
    household = beneficiary.household
    return {
        **person_columns(beneficiary),
        # Derived groups (youth) follow from other facts; the form refuses them as a choice.
        "target_groups": [
            g.code
            for g in visible_target_groups(user, beneficiary)
            if g.code not in TargetGroup.DERIVED_CODES
        ],
        "projects": [],
        "household": household
        and {
            "members_count": household.members_count,
            "dependants": household.dependants,
            "head_sex": household.head_sex,
            "monthly_income": _money(
                household.monthly_income_amount, household.monthly_income_currency
            ),
        },
        # Consent is recorded at registration and changed on its own, never by an edit.
        "consent": {"programme_use": True},
    }


def merged(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`patch` over `base`, nested objects merged key by key."""
    result = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


ENROLMENTS = Prefetch("enrolments", queryset=Enrolment.objects.select_related("project"))


def with_relations(people: QuerySet[Beneficiary]) -> QuerySet[Beneficiary]:
    return people.select_related("branch", "district", "household").prefetch_related(
        "target_groups", ENROLMENTS
    )


def beneficiary_out(user: Any, beneficiary: Beneficiary) -> dict[str, Any]:
    household = beneficiary.household
    return {
        "id": beneficiary.pk,
        "first_name": beneficiary.first_name,
        "patronymic": beneficiary.patronymic,
        "last_name": beneficiary.last_name,
        "name_latin": beneficiary.name_latin,
        "sex": beneficiary.sex,
        "date_of_birth": beneficiary.date_of_birth,
        "phone": beneficiary.phone,
        "id_document": beneficiary.id_document,
        "national_id": beneficiary.national_id,
        "branch": {"id": beneficiary.branch_id, "name": beneficiary.branch.name},
        "district": {"id": beneficiary.district_id, "name": beneficiary.district.name},
        "target_groups": [g.code for g in visible_target_groups(user, beneficiary)],
        "status": beneficiary.status,
        "registered_on": beneficiary.registered_on,
        "projects": sorted(e.project.code for e in beneficiary.enrolments.all()),
        "household": household
        and {
            "members_count": household.members_count,
            "dependants": household.dependants,
            "head_sex": household.head_sex,
            "monthly_income": _money(
                household.monthly_income_amount, household.monthly_income_currency
            ),
        },
        "merged_into": beneficiary.merged_into_id,
    }


def _answer(user: Any, beneficiary_id: int, status: int) -> Answer:
    """The stored record as the API shows it, as plain JSON (so it can be kept for replays)."""
    beneficiary = with_relations(beneficiaries_in_scope(user)).get(pk=beneficiary_id)
    body = BeneficiaryOut.model_validate(beneficiary_out(user, beneficiary))
    return status, body.model_dump(mode="json")


def _require_register(user: Any) -> None:
    if not has_right(user, Right.REGISTER):
        raise NotAllowed(_("Your role does not allow this."))


def _only_branch(user: Any) -> int | None:
    branches = list(scope(user, Branch.objects.all(), branch_field="pk").values_list("pk")[:2])
    return branches[0][0] if len(branches) == 1 else None


def _log_protected_views(user: Any, people: Iterable[Beneficiary]) -> None:
    """A list showing a protected category is a view of it: log it as opening the record does."""
    if not has_right(user, Right.SEE_PROTECTED):
        return
    log_views(
        user,
        (
            (b.organization_id, b.pk)
            for b in people
            if any(g.is_protected for g in b.target_groups.all())
        ),
        "api",
    )


# --- Endpoints ------------------------------------------------------------------------------


@router.get(
    "",
    response={200: BeneficiaryPage, **_errors(401, 422)},
    operation_id="listBeneficiaries",
    summary="List and search beneficiaries",
)
def list_beneficiaries(request: HttpRequest, filters: Query[BeneficiaryFilters]) -> dict[str, Any]:
    """Records in your scope, not merged, ordered by last and first name."""
    user = request.auth  # type: ignore[attr-defined]
    project_id: int | None = None
    if filters.project:
        project_id = (
            scope(user, Project.objects.filter(code=filters.project), branch_field=None)
            .values_list("pk", flat=True)
            .first()
        )
    found = search_beneficiaries(
        user,
        text=filters.q,
        project=project_id,
        district=filters.district,
        target_group=filters.target_group,
        status=filters.status or "",
        sex=filters.sex or "",
    )
    # A filter naming a project or group the user cannot see matches nobody (the registry's
    # search would ignore it and list everyone).
    unknown_project = bool(filters.project) and project_id is None
    unknown_group = (
        bool(filters.target_group)
        and not target_groups_for(user).filter(code=filters.target_group).exists()
    )
    if unknown_project or unknown_group:
        found = found.none()
    count = found.count()
    page = list(with_relations(found)[filters.offset : filters.offset + filters.limit])
    _log_protected_views(user, page)
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [beneficiary_out(user, b) for b in page],
    }


@router.post(
    "",
    response={201: BeneficiaryOut, **_errors(400, 401, 403, 409, 422)},
    operation_id="createBeneficiary",
    summary="Register a beneficiary",
)
def create_beneficiary(
    request: HttpRequest,
    payload: BeneficiaryIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=max_length_of(IdempotencyKey, "key"),
        description="Optional. A retry with the same key and body returns the first answer.",
    ),
) -> Status[dict[str, Any]]:
    """Refused with 409 `duplicate_phone` / `duplicate_national_id` when someone already holds
    the phone or ID; 409 `possible_duplicate` for a similar person in the district until the
    request is sent again with `confirm_possible_duplicate: true`."""
    user = request.auth  # type: ignore[attr-defined]
    _require_register(user)

    def register() -> Answer:
        values = payload.model_dump()
        if values["branch"] is None:
            values["branch"] = _only_branch(user)
        data = validated(beneficiary_form(form_data(values), user))
        registration = register_beneficiary(
            user, data, confirm_possible_duplicate=payload.confirm_possible_duplicate
        )
        return _answer(user, registration.beneficiary.pk, 201)

    return Status(*answer_once(request, user, idempotency_key, register))


@router.get(
    "/{int:beneficiary_id}",
    response={200: BeneficiaryOut, **_errors(401, 404)},
    operation_id="getBeneficiary",
    summary="One beneficiary",
)
def get_beneficiary(request: HttpRequest, beneficiary_id: int) -> dict[str, Any]:
    """404 for records outside your scope, whether or not they exist."""
    user = request.auth  # type: ignore[attr-defined]
    beneficiary = access_beneficiary(user, beneficiary_id, channel="api")
    prefetch_related_objects([beneficiary], ENROLMENTS)
    return beneficiary_out(user, beneficiary)


@router.patch(
    "/{int:beneficiary_id}",
    response={200: BeneficiaryOut, **_errors(400, 401, 403, 404, 409, 422)},
    operation_id="updateBeneficiary",
    summary="Change some of a beneficiary's details",
)
def update_beneficiary_details(
    request: HttpRequest, beneficiary_id: int, payload: BeneficiaryPatch
) -> Status[dict[str, Any]]:
    """The record as it is, with the fields sent, is validated as a whole like a registration.
    Consent and status are not changed here."""
    user = request.auth  # type: ignore[attr-defined]
    beneficiary = access_beneficiary(user, beneficiary_id, channel="api")
    _require_register(user)
    patch = payload.model_dump(exclude_unset=True)
    confirm = bool(patch.pop("confirm_possible_duplicate", False))
    values = merged(current_values(user, beneficiary), patch)
    data = validated(beneficiary_form(form_data(values), user))
    if data.get("locality") is None:
        # update_beneficiary cannot yet store "no locality" (it assigns "" to the foreign key);
        # leaving the key out keeps the record's empty locality as it is.
        if beneficiary.locality_id is not None:
            raise Invalid({"locality": [_("A locality cannot be removed; choose another one.")]})
        del data["locality"]
    update_beneficiary(user, beneficiary, data, confirm_possible_duplicate=confirm)
    return Status(*_answer(user, beneficiary.pk, 200))
