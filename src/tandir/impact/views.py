"""Impact monitoring pages: instruments and their versions, the answers form for a phone, the
XLSForm download, the import of submissions and follow-up planning.

Views parse, authorise (a missing right is the 403 page; a record outside scope is a 404
through `queries.access_*`), call one action of `tandir.impact.actions`, and render. The answers
form answers htmx posts with the form it replaces (errors beside their fields) and works
without JavaScript.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandir.core.audit import channel
from tandir.core.errors import TandirError
from tandir.impact import actions, queries, xlsform
from tandir.impact.answers import as_input
from tandir.impact.forms import InstrumentForm, MonthForm, QuestionForm, SearchForm, UploadForm
from tandir.impact.imports import import_responses
from tandir.impact.models import Answer, InstrumentKind, Question, QuestionType
from tandir.orgs.roles import Right, has_right
from tandir.registry.queries import access_beneficiary, search_beneficiaries


def _require(request: HttpRequest, *rights: Right) -> None:
    if not all(has_right(request.user, right) for right in rights):
        raise PermissionDenied(_("Your role does not allow this."))


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _user(request: HttpRequest) -> Any:
    return request.user


def _fields(error: TandirError) -> dict[str, str]:
    return dict(error.details.get("fields") or {})


def _refused(form: Any, error: TandirError) -> None:
    fields = _fields(error)
    if not fields:
        form.add_error(None, error.message)
    for name, problem in fields.items():
        form.add_error(name if name in form.fields else None, problem)


# --- Home and follow-up planning ------------------------------------------------------------


def _month(text: str, today: datetime.date) -> datetime.date:
    try:
        year, month = (int(part) for part in (text or "").split("-")[:2])
        return datetime.date(year, month, 1)
    except (ValueError, TypeError):
        return today.replace(day=1)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Follow-up planning: per follow-up instrument, who is due in the month, who answered,
    the response rate and the drop-outs; of the organisation, or of a manager's branches."""
    # The menu's "Surveys" leads here; roles without reports go where their work is.
    if not has_right(request.user, Right.SEE_REPORTS) or not has_right(
        request.user, Right.RECORD_RESPONSES
    ):
        if has_right(request.user, Right.RECORD_RESPONSES):
            return redirect("impact:find")
        if has_right(request.user, Right.MANAGE_SURVEYS):
            return redirect("impact:instruments")
        raise PermissionDenied(_("Your role does not allow this."))
    today = timezone.localdate()
    form = MonthForm(request.GET or None)
    start = _month(request.GET.get("month", ""), today)
    end = queries.add_months(start, 1) - datetime.timedelta(days=1)
    instruments = queries.instruments_in_scope(request.user).filter(
        kind=InstrumentKind.FOLLOW_UP, is_active=True
    )
    plans = [queries.planning(request.user, i, start, end) for i in instruments]
    return render(
        request,
        "impact/home.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "month_value": start.strftime("%Y-%m"),
            "previous": queries.add_months(start, -1).strftime("%Y-%m"),
            "next": queries.add_months(start, 1).strftime("%Y-%m"),
            "plans": plans,
            "whole_organization": queries.planning_branches(request.user) is None,
            "can_manage": has_right(request.user, Right.MANAGE_SURVEYS),
            "current": "planning",
        },
    )


# --- Instruments ------------------------------------------------------------------------------


@login_required
def instruments(request: HttpRequest) -> HttpResponse:
    _require(request, Right.MANAGE_SURVEYS)
    rows = (
        queries.instruments_in_scope(request.user)
        .annotate(version_count=Count("versions", distinct=True))
        .annotate(response_count=Count("responses", distinct=True))
    )
    form = InstrumentForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            instrument = actions.create_instrument(_user(request), **form.cleaned_data)
        except TandirError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Instrument %(code)s created.") % {"code": instrument.code})
            return redirect("impact:instrument", pk=instrument.pk)
    return render(
        request,
        "impact/instruments.html",
        {"instruments": rows, "form": form, "current": "instruments"},
    )


@login_required
@require_POST
def seed(request: HttpRequest) -> HttpResponse:
    _require(request, Right.MANAGE_SURVEYS)
    user = _user(request)
    if user.organization is None:
        raise Http404("No organisation.")
    made = actions.seed_instruments(user, user.organization)
    messages.success(
        request, _("The standard instruments are in place (%(count)s).") % {"count": len(made)}
    )
    return redirect("impact:instruments")


@login_required
def instrument(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.MANAGE_SURVEYS)
    found = queries.access_instrument(request.user, pk)
    versions = list(
        found.versions.order_by("-number").prefetch_related(
            Prefetch("questions", queryset=Question.objects.order_by("position"))
        )
    )
    return render(
        request,
        "impact/instrument.html",
        {"instrument": found, "versions": versions, "current": "instruments"},
    )


@login_required
@require_POST
def version_new(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.MANAGE_SURVEYS)
    found = queries.access_instrument(request.user, pk)
    version = actions.new_version(_user(request), found)
    return redirect("impact:version", pk=version.pk)


def _question_initial(question: Question) -> dict[str, Any]:
    return {
        "code": question.code,
        "type": question.type,
        "label": question.label,
        "required": question.required,
        "min_value": ""
        if question.min_value is None
        else format(question.min_value.normalize(), "f"),
        "max_value": ""
        if question.max_value is None
        else format(question.max_value.normalize(), "f"),
        "choices": "\n".join(f"{c['name']} = {c.get('label', '')}" for c in question.choices),
    }


@login_required
def version(request: HttpRequest, pk: int) -> HttpResponse:
    """A version's questions; in a draft each question is a small form, saved on its own."""
    _require(request, Right.MANAGE_SURVEYS)
    found = queries.access_version(request.user, pk)
    questions = list(found.questions.order_by("position"))
    forms = {q.pk: QuestionForm(initial=_question_initial(q), prefix=f"q{q.pk}") for q in questions}
    new = QuestionForm(prefix="new")
    if request.method == "POST":
        step = request.POST.get("step", "")
        try:
            if step == "publish":
                actions.publish_version(_user(request), found)
                messages.success(request, _("Version %(n)s published.") % {"n": found.number})
                return redirect("impact:instrument", pk=found.instrument_id)
            if step == "add":
                new = QuestionForm(request.POST, prefix="new")
                if new.is_valid():
                    try:
                        actions.add_question(_user(request), found, **new.cleaned_data)
                    except TandirError as error:
                        _refused(new, error)
                    else:
                        messages.success(request, _("Question added."))
                        return redirect("impact:version", pk=found.pk)
            elif step.startswith("save-") or step.startswith("remove-"):
                question = queries.access_question(request.user, step.split("-", 1)[1])
                if question.version_id != found.pk:
                    raise Http404("Not this version's question.")
                if step.startswith("remove-"):
                    actions.remove_question(_user(request), question)
                    messages.success(request, _("Question removed."))
                    return redirect("impact:version", pk=found.pk)
                posted = QuestionForm(request.POST, prefix=f"q{question.pk}")
                forms[question.pk] = posted
                data = {k: posted.data.get(f"q{question.pk}-{k}") for k in posted.fields}
                data["required"] = bool(posted.data.get(f"q{question.pk}-required"))
                try:
                    actions.change_question(_user(request), question, data)
                except TandirError as error:
                    posted.is_valid()
                    _refused(posted, error)
                else:
                    messages.success(request, _("Question saved."))
                    return redirect("impact:version", pk=found.pk)
        except TandirError as error:
            messages.error(request, error.message)
    return render(
        request,
        "impact/version.html",
        {
            "version": found,
            "instrument": found.instrument,
            "rows": [(q, forms[q.pk]) for q in questions],
            "new": new,
            "seeded": actions.SEEDED_CODES,
            "current": "instruments",
        },
    )


@login_required
def version_xlsform(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.MANAGE_SURVEYS)
    found = queries.access_version(request.user, pk)
    response = HttpResponse(
        xlsform.xlsform(found),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{xlsform.filename(found)}"'
    return response


# --- Data entry ---------------------------------------------------------------------------


@login_required
def find(request: HttpRequest) -> HttpResponse:
    """Find the respondent by name, ID number or phone; htmx refreshes the results as one types."""
    _require(request, Right.RECORD_RESPONSES)
    form = SearchForm(request.GET or None)
    text = request.GET.get("q", "").strip()
    found = list(search_beneficiaries(request.user, text=text)[:20]) if text else []
    context = {"form": form, "found": found, "text": text, "current": "find"}
    if _is_htmx(request):
        return render(request, "impact/_found.html", context)
    return render(request, "impact/find.html", context)


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's instruments: answered (when), due (when), or not to be asked."""
    _require(request, Right.RECORD_RESPONSES)
    found = access_beneficiary(request.user, pk)
    return render(
        request,
        "impact/person.html",
        {
            "person": found,
            "lines": queries.person_instruments(request.user, found),
            "current": "find",
        },
    )


def _form_questions(questions: list[Question], values: dict[str, str], errors: dict[str, str]):
    return [
        {
            "question": q,
            "value": values.get(q.code, ""),
            "error": errors.get(q.code, ""),
            "points": (
                [str(n) for n in range(int(q.min_value), int(q.max_value) + 1)]
                if q.type == QuestionType.SCALE
                and q.min_value is not None
                and q.max_value is not None
                and q.max_value - q.min_value <= 10
                else []
            ),
        }
        for q in questions
    ]


@login_required
def respond(request: HttpRequest, pk: int, instrument: int) -> HttpResponse:
    """The instrument's published version as a form for one person."""
    _require(request, Right.RECORD_RESPONSES)
    found = access_beneficiary(request.user, pk)
    chosen = queries.access_instrument(request.user, instrument)
    if chosen.organization_id != found.organization_id:
        raise Http404("Not this organisation's instrument.")
    version = queries.published_version(chosen)
    if version is None:
        raise Http404("No published version.")
    questions = list(version.questions.order_by("position"))
    existing = (
        queries.responses_in_scope(request.user)
        .filter(instrument=chosen, beneficiary=found)
        .first()
    )
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    problem = ""
    taken_on = timezone.localdate().isoformat()
    if existing is not None:
        answers = {
            a.code: a for a in Answer.objects.filter(response=existing).select_related("question")
        }
        values = {
            code: as_input(a.question, a.number, a.text, a.date) for code, a in answers.items()
        }
        taken_on = existing.taken_on.isoformat()
    elif request.method == "POST":
        values = {q.code: request.POST.get(q.code, "").strip() for q in questions}
        taken_on = request.POST.get("taken_on", "").strip()
        from tandir.impact.answers import parse_date

        day = parse_date(taken_on)
        try:
            with channel("web"):
                actions.record_response(
                    _user(request),
                    instrument=chosen,
                    beneficiary=found,
                    taken_on=day,  # type: ignore[arg-type]
                    answers={k: v for k, v in values.items() if v != ""},
                )
        except TandirError as error:
            errors = _fields(error)
            problem = error.message
        else:
            messages.success(
                request,
                _("Answers of %(name)s to %(instrument)s saved.")
                % {"name": found.full_name, "instrument": chosen.name},
            )
            target = reverse("impact:person", args=[found.pk])
            if _is_htmx(request):
                reply = HttpResponse(status=204)
                reply["HX-Redirect"] = target
                return reply
            return redirect(target)
    context = {
        "person": found,
        "instrument": chosen,
        "version": version,
        "existing": existing,
        "rows": _form_questions(questions, values, errors),
        "taken_on": taken_on,
        "taken_on_error": errors.get("taken_on", ""),
        "currency": chosen.organization.currency,
        "problem": problem,
        "current": "find",
    }
    if _is_htmx(request):
        return render(request, "impact/_respond_form.html", context)
    return render(request, "impact/respond.html", context)


# --- Import ----------------------------------------------------------------------------------


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    _require(request, Right.RECORD_RESPONSES)
    choices = queries.instruments_in_scope(request.user).filter(is_active=True)
    form = UploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        instruments=choices,
    )
    result = None
    if form.is_valid():
        chosen = form.cleaned_data["instrument"]
        sent = form.cleaned_data["file"]
        with channel("import"):
            result = import_responses(
                _user(request), instrument=chosen, content=sent.read(), filename=sent.name
            )
        if result.ok:
            messages.success(
                request,
                _("%(written)s responses imported, %(skipped)s already imported before.")
                % {"written": result.written, "skipped": result.skipped},
            )
            return redirect("impact:upload")
    return render(
        request,
        "impact/upload.html",
        {
            "form": form,
            "result": result,
            "errors": result.errors if result else [],
            "current": "upload",
        },
    )
