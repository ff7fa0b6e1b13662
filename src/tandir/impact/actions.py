"""Every write of impact monitoring. Each action is atomic and checks the right and the scope
itself.

MANAGE_SURVEYS covers instruments and their versions; RECORD_RESPONSES covers answers, for the
people in the officer's scope. Consent is checked here, at the one place a response is written:
a baseline needs consent to use the person's data in the programme, a follow-up needs consent
to follow-up surveys that has not been withdrawn.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from tandir.core.bulk import insert_records, reserve_ids
from tandir.core.errors import Conflict, NotAllowed, NotFound, TandirError
from tandir.impact import seed
from tandir.impact.answers import Value, check_answers
from tandir.impact.locks import lock_instrument
from tandir.impact.models import (
    Anchor,
    Answer,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Question,
    QuestionType,
    Response,
    ResponseSource,
)
from tandir.impact.queries import consent_refusal, published_version
from tandir.orgs.models import Organization, StaffUser
from tandir.orgs.roles import Right, has_right, is_platform_operator
from tandir.registry.models import Beneficiary, Consent
from tandir.registry.queries import beneficiaries_in_scope
from tandir.training.actions import COUNTRY_LANGUAGES

SEEDED_CODES = frozenset(q["code"] for q in seed.OUTCOME_QUESTIONS)


class AnswersRefused(TandirError):
    """Some answers broke the instrument's rules; `details["fields"]` maps each question code
    to its problem. Nothing was written."""

    code = "invalid_answers"


def _require(officer: StaffUser, right: Right) -> None:
    if not has_right(officer, right):
        raise NotAllowed(_("Your role does not allow this."))


def _organization_of(officer: StaffUser) -> int:
    if officer.organization_id is None:
        raise NotAllowed(_("Surveys are run by an organisation; sign in as one of its staff."))
    return officer.organization_id


def _own(officer: StaffUser, record: Any) -> None:
    if record.organization_id != _organization_of(officer):
        raise NotFound(_("No such record."))


def _today() -> datetime.date:
    return timezone.localdate()


def _language(organization: Organization) -> str:
    country = organization.country.code if organization.country_id else ""  # type: ignore[union-attr]
    return COUNTRY_LANGUAGES.get(country, "en")


# --- Instruments ------------------------------------------------------------------------------


def _seed_questions(
    organization_id: int, version: InstrumentVersion, questions: Iterable[dict[str, Any]]
) -> None:
    rows = []
    for position, spec in enumerate(questions, start=1):
        rows.append(
            Question(
                organization_id=organization_id,
                version=version,
                position=position,
                code=spec["code"],
                label=_(spec["label"]),
                type=spec["type"],
                required=bool(spec.get("required")),
                min_value=None if spec.get("min") is None else Decimal(spec["min"]),
                max_value=None if spec.get("max") is None else Decimal(spec["max"]),
                choices=[
                    {"name": c["name"], "label": _(c["label"])} for c in spec.get("choices", [])
                ],
            )
        )
    Question.objects.bulk_create(rows)


@transaction.atomic
def seed_instruments(user: StaffUser, organization: Organization) -> list[Instrument]:
    """The baseline and the seeded follow-ups (6 and 12 months after disbursement), each with a
    published version 1 of the outcome questions, in the organisation's language.

    Seeding twice adds nothing: an instrument that exists (by code) is kept as it is.
    """
    _require(user, Right.MANAGE_SURVEYS)
    if not is_platform_operator(user) and user.organization_id != organization.pk:
        raise NotFound(_("No such organisation."))
    existing = {i.code: i for i in Instrument.objects.filter(organization=organization)}
    specs: list[tuple[str, str, str, int | None, list[dict[str, Any]]]] = [
        (
            seed.BASELINE[0],
            seed.BASELINE[1],
            InstrumentKind.BASELINE,
            None,
            [q for q in seed.OUTCOME_QUESTIONS if q["baseline"]],
        )
    ]
    specs += [
        (code, name, InstrumentKind.FOLLOW_UP, months, list(seed.OUTCOME_QUESTIONS))
        for code, name, months in seed.FOLLOW_UPS
    ]
    instruments = []
    with override(_language(organization)):
        for code, name, kind, months, questions in specs:
            instrument = existing.get(code)
            if instrument is None:
                instrument = Instrument.objects.create(
                    organization=organization,
                    code=code,
                    name=_(name),
                    kind=kind,
                    anchor=Anchor.DISBURSEMENT if months else "",
                    months_after=months,
                )
                version = InstrumentVersion.objects.create(
                    organization=organization,
                    instrument=instrument,
                    number=1,
                    published=True,
                    created_by=user,
                )
                _seed_questions(organization.pk, version, questions)
            instruments.append(instrument)
    return instruments


@transaction.atomic
def create_instrument(
    user: StaffUser,
    *,
    code: str,
    name: str,
    kind: str,
    anchor: str = "",
    months_after: int | None = None,
) -> Instrument:
    """A new instrument with an empty draft version 1 (add questions, then publish)."""
    _require(user, Right.MANAGE_SURVEYS)
    organization_id = _organization_of(user)
    errors: dict[str, str] = {}
    code = (code or "").strip().lower()
    from django.core.validators import validate_slug

    try:
        validate_slug(code)
    except Exception:
        errors["code"] = _("letters, digits, - and _ only")
    if not (name or "").strip():
        errors["name"] = _("give the instrument a name")
    if kind == InstrumentKind.BASELINE:
        anchor, months_after = "", None
    elif kind == InstrumentKind.FOLLOW_UP:
        if anchor not in Anchor.values:
            errors["anchor"] = _("choose what the months are counted from")
        if not months_after or months_after < 1:
            errors["months_after"] = _("a follow-up comes at least 1 month after")
    else:
        errors["kind"] = _("choose baseline or follow-up")
    if Instrument.objects.filter(organization_id=organization_id, code=code).exists():
        errors["code"] = _("another instrument has this code")
    if errors:
        raise AnswersRefused(_("Correct the marked fields."), fields=errors)
    instrument = Instrument.objects.create(
        organization_id=organization_id,
        code=code,
        name=name.strip()[:200],
        kind=kind,
        anchor=anchor,
        months_after=months_after,
    )
    InstrumentVersion.objects.create(
        organization_id=organization_id, instrument=instrument, number=1, created_by=user
    )
    return instrument


def _draft(user: StaffUser, version: InstrumentVersion) -> None:
    _require(user, Right.MANAGE_SURVEYS)
    _own(user, version)
    if version.published:
        raise Conflict(_("A published version is not changed; open a new version."))


@transaction.atomic
def new_version(user: StaffUser, instrument: Instrument) -> InstrumentVersion:
    """A draft copying the questions of the latest version; the open draft if there is one."""
    _require(user, Right.MANAGE_SURVEYS)
    _own(user, instrument)
    locked = lock_instrument(instrument.organization_id, instrument.pk)
    latest = InstrumentVersion.objects.filter(instrument=locked).order_by("-number").first()
    if latest is not None and not latest.published:
        return latest
    version = InstrumentVersion.objects.create(
        organization_id=locked.organization_id,
        instrument=locked,
        number=(latest.number + 1) if latest else 1,
        created_by=user,
    )
    if latest is not None:
        Question.objects.bulk_create(
            [
                Question(
                    organization_id=q.organization_id,
                    version=version,
                    position=q.position,
                    code=q.code,
                    label=q.label,
                    type=q.type,
                    required=q.required,
                    min_value=q.min_value,
                    max_value=q.max_value,
                    choices=q.choices,
                )
                for q in latest.questions.all()
            ]
        )
    return version


def _question_values(
    data: Mapping[str, Any], kind: str, previous_choices: Sequence[Mapping[str, Any]] | None
) -> dict[str, Any]:
    """The editable parts of a question, checked: label, required, range, choices."""
    from tandir.impact.answers import parse_decimal

    errors: dict[str, str] = {}
    label = str(data.get("label") or "").strip()
    if not label:
        errors["label"] = _("write the question")
    bounds: dict[str, Decimal | None] = {}
    for name in ("min_value", "max_value"):
        raw = data.get(name)
        if (
            raw is None
            or str(raw).strip() == ""
            or kind
            not in (
                QuestionType.NUMBER,
                QuestionType.MONEY,
                QuestionType.SCALE,
            )
        ):
            bounds[name] = None
            continue
        value = parse_decimal(raw)
        if value is None:
            errors[name] = _("not a number")
        bounds[name] = value
    low, high = bounds.get("min_value"), bounds.get("max_value")
    if kind == QuestionType.SCALE and (low is None or high is None):
        errors["max_value"] = _("a scale needs its lowest and highest point")
    if low is not None and high is not None and low > high:
        errors["max_value"] = _("the highest value is below the lowest")
    choices: list[dict[str, str]] = []
    if kind == QuestionType.CHOICE:
        raw_choices = data.get("choices") or []
        if isinstance(raw_choices, str):
            # One choice a line, "name = label" or just the name.
            parsed = []
            for line in raw_choices.splitlines():
                if not line.strip():
                    continue
                name, _sep, text = line.partition("=")
                parsed.append({"name": name.strip(), "label": (text or name).strip()})
            raw_choices = parsed
        seen: set[str] = set()
        for choice in raw_choices:
            name = str(choice.get("name") or "").strip().lower()
            text = str(choice.get("label") or name).strip()
            if not name or not all(c.isalnum() or c in "_-" for c in name) or name in seen:
                errors["choices"] = _("each choice needs its own name (letters, digits, _ or -)")
                continue
            seen.add(name)
            choices.append({"name": name, "label": text})
        if not choices or len(choices) < 2:
            errors["choices"] = _("give at least two choices")
        if previous_choices is not None:
            # The seeded questions' choice names are what reports count: labels may change,
            # names may not.
            before = {str(c["name"]) for c in previous_choices}
            if {c["name"] for c in choices} != before:
                errors["choices"] = _("keep the choices %(names)s; only their labels change") % {
                    "names": ", ".join(sorted(before))
                }
    if errors:
        raise AnswersRefused(_("Correct the marked fields."), fields=errors)
    return {
        "label": label[:300],
        "required": bool(data.get("required")),
        "min_value": low,
        "max_value": high,
        "choices": choices,
    }


@transaction.atomic
def change_question(user: StaffUser, question: Question, data: Mapping[str, Any]) -> Question:
    """A draft's question relabelled, made required or not, given a range or choices. Its code
    and type never change (earlier answers keep their meaning)."""
    question = Question.objects.select_related("version").get(pk=question.pk)
    _draft(user, question.version)
    values = _question_values(
        data, question.type, question.choices if question.code in SEEDED_CODES else None
    )
    for name, value in values.items():
        setattr(question, name, value)
    question.save()
    return question


@transaction.atomic
def add_question(
    user: StaffUser, version: InstrumentVersion, *, code: str, type: str, **data: Any
) -> Question:
    _draft(user, version)
    code = (code or "").strip().lower()
    errors: dict[str, str] = {}
    # XForm names: a letter first, then letters, digits, - and _.
    if (
        not code
        or not code[0].isalpha()
        or not all(c.isascii() and (c.isalnum() or c in "_-") for c in code)
        or len(code) > 60
    ):
        errors["code"] = _("a letter first, then letters, digits, - and _ only")
    elif code in {"beneficiary", "date"} or code.startswith("_"):
        errors["code"] = _("this name is taken by the form itself")
    if type not in QuestionType.values:
        errors["type"] = _("choose a type")
    if version.questions.filter(code=code).exists():
        errors["code"] = _("this version already asks a question with this code")
    seeded = next((q for q in seed.OUTCOME_QUESTIONS if q["code"] == code), None)
    if seeded is not None and seeded["type"] != type:
        errors["type"] = _("%(code)s is a standard question of type %(type)s") % {
            "code": code,
            "type": seeded["type"],
        }
    # A code keeps one meaning across the instrument's versions.
    earlier = (
        Question.objects.filter(version__instrument_id=version.instrument_id, code=code)
        .exclude(type=type)
        .first()
    )
    if earlier is not None and "type" not in errors:
        errors["type"] = _("earlier versions ask %(code)s as %(type)s") % {
            "code": code,
            "type": earlier.get_type_display(),
        }
    if errors:
        raise AnswersRefused(_("Correct the marked fields."), fields=errors)
    values = _question_values(data, type, None)
    position = (version.questions.aggregate(top=Max("position"))["top"] or 0) + 1
    return Question.objects.create(
        organization_id=version.organization_id,
        version=version,
        position=position,
        code=code,
        type=type,
        **values,
    )


@transaction.atomic
def remove_question(user: StaffUser, question: Question) -> None:
    question = Question.objects.select_related("version").get(pk=question.pk)
    _draft(user, question.version)
    if question.code in SEEDED_CODES:
        raise Conflict(_("A standard outcome question stays: reports read it."))
    question.delete()


@transaction.atomic
def publish_version(user: StaffUser, version: InstrumentVersion) -> InstrumentVersion:
    """The draft becomes the version in use; new answers are recorded against it."""
    _draft(user, version)
    if not version.questions.exists():
        raise Conflict(_("A version without questions cannot be published."))
    version.published = True
    version.save(update_fields=["published"])
    return version


# --- Responses --------------------------------------------------------------------------------


def _answers(
    response: Response, version_questions: Iterable[Question], values: Mapping[str, Value]
) -> Iterator[Answer]:
    for question in version_questions:
        value = values.get(question.code)
        if value is None:
            continue
        yield Answer(
            organization_id=response.organization_id,
            response=response,
            question=question,
            code=question.code,
            number=value.number,
            text=value.text,
            date=value.date,
        )


def _currency_of(organization_id: int) -> str:
    return Organization.objects.values_list("currency", flat=True).get(pk=organization_id)


@transaction.atomic
def record_response(
    user: StaffUser,
    *,
    instrument: Instrument,
    beneficiary: Beneficiary,
    taken_on: datetime.date,
    answers: Mapping[str, object],
    source: str = ResponseSource.WEB,
    reference: str = "",
) -> Response:
    """One person's answers to the instrument's published version, every answer checked.

    Raises `AnswersRefused` with every field's problem at once (the date under `taken_on`).
    """
    _require(user, Right.RECORD_RESPONSES)
    _own(user, instrument)
    person = (
        beneficiaries_in_scope(user)
        .filter(pk=beneficiary.pk, merged_into__isnull=True)
        .select_related("branch")
        .first()
    )
    if person is None:
        raise NotFound(_("No such participant."))
    version = published_version(instrument)
    if version is None:
        raise Conflict(_("The instrument has no published version yet."))
    consent = Consent.objects.filter(beneficiary=person, withdrawn_on__isnull=True).first()
    refusal = consent_refusal(instrument, consent)
    if refusal:
        raise NotAllowed(
            _("%(name)s cannot be surveyed: %(reason)s.")
            % {"name": person.full_name, "reason": refusal},
            code="no_consent",
        )
    if Response.objects.filter(instrument=instrument, beneficiary=person).exists():
        raise Conflict(
            _("%(name)s has already answered %(instrument)s.")
            % {"name": person.full_name, "instrument": instrument.name}
        )
    currency = _currency_of(instrument.organization_id)
    questions = list(version.questions.all())
    values, errors = check_answers(questions, answers, currency)
    if not isinstance(taken_on, datetime.date):
        errors["taken_on"] = _("give the date of the interview")
    elif taken_on > _today():
        errors["taken_on"] = _("the interview date is in the future")
    if errors:
        raise AnswersRefused(_("Correct the marked answers."), fields=errors)
    response = Response(
        organization_id=instrument.organization_id,
        instrument=instrument,
        version=version,
        beneficiary=person,
        branch_id=person.branch_id,
        taken_on=taken_on,
        currency=currency,
        source=source,
        reference=(reference or "")[:120],
        recorded_by=user,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:  # another officer recorded it a moment ago
        raise Conflict(
            _("%(name)s has already answered %(instrument)s.")
            % {"name": person.full_name, "instrument": instrument.name}
        ) from exc
    Answer.objects.bulk_create(list(_answers(response, questions, values)))
    return response


@dataclass(frozen=True)
class CheckedResponse:
    """One checked row of an import: whose answers, on which date, with which values."""

    beneficiary_id: int
    branch_id: int
    taken_on: datetime.date
    values: Mapping[str, Value]
    reference: str = ""


@transaction.atomic
def record_checked_responses(
    user: StaffUser,
    *,
    instrument: Instrument,
    version: InstrumentVersion,
    rows: Sequence[CheckedResponse],
    source: str,
) -> int:
    """The responses of an import whose every row was checked (`impact.imports`), written
    set-based: one statement for the responses, one for the answers.

    The rights, the scope and consent are checked again here, for the whole set at once; a
    person who answered in the meantime makes the whole import a Conflict.
    """
    _require(user, Right.RECORD_RESPONSES)
    _own(user, instrument)
    if not rows:
        return 0
    ids = [row.beneficiary_id for row in rows]
    consents = Consent.objects.filter(beneficiary=OuterRef("pk"), withdrawn_on__isnull=True)
    if instrument.kind == InstrumentKind.BASELINE:
        consents = consents.filter(programme_use=True)
    else:
        consents = consents.filter(follow_up_surveys=True)
    allowed = set(
        beneficiaries_in_scope(user)
        .filter(pk__in=ids, merged_into__isnull=True)
        .filter(Exists(consents))
        .values_list("pk", flat=True)
    )
    if len(allowed) != len(set(ids)):
        raise NotAllowed(_("Some people are outside your scope or gave no consent."))
    if Response.objects.filter(instrument=instrument, beneficiary_id__in=ids).exists():
        raise Conflict(_("Some people have answered this instrument in the meantime."))
    currency = _currency_of(instrument.organization_id)
    questions = list(version.questions.all())
    pks = reserve_ids(Response, len(rows))
    responses = [
        Response(
            pk=pks[index] if pks else None,
            organization_id=instrument.organization_id,
            instrument=instrument,
            version=version,
            beneficiary_id=row.beneficiary_id,
            branch_id=row.branch_id,
            taken_on=row.taken_on,
            currency=currency,
            source=source,
            reference=row.reference[:120],
            recorded_by=user,
        )
        for index, row in enumerate(rows)
    ]
    try:
        with transaction.atomic():
            insert_records(Response, responses)
    except IntegrityError as exc:
        raise Conflict(_("Some people have answered this instrument in the meantime.")) from exc
    answers = [
        answer
        for response, row in zip(responses, rows, strict=True)
        for answer in _answers(response, questions, row.values)
    ]
    insert_records(Answer, answers)
    return len(responses)
