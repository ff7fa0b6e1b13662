"""The loan officer's pages: the day's collections and follow-up, centres and solidarity groups,
and the collection sheet of a meeting.

Views parse, authorise (a missing right is a 403 page; a record outside scope a 404 through the
`access_*` lookups of `tandir.lending.queries`), call one action and render. Pages answer htmx
requests with the fragment they replace, and work without JavaScript too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandir.core.errors import TandirError
from tandir.engine import quantum
from tandir.lending import actions, queries
from tandir.lending.models import (
    Attendance,
    CollectionLine,
    CollectionSheet,
    FollowUp,
    GroupMembership,
)
from tandir.lending.officer_forms import (
    CentreForm,
    FollowUpForm,
    GroupForm,
    MemberForm,
    SheetDateForm,
    next_meeting,
    parse_sheet,
)
from tandir.orgs.roles import Right, has_right
from tandir.registry.queries import beneficiaries_in_scope, search_beneficiaries


def _require(request: HttpRequest, *rights: Right) -> None:
    if not any(has_right(request.user, right) for right in rights):
        raise PermissionDenied(_("Your role does not allow this."))


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a whole page."""
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def optional_url(name: str, **kwargs: Any) -> str | None:
    """A page another part of lending may not have yet (the sheet's PDF): None until it exists."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _today() -> Any:
    return timezone.localdate()


# --- The officer's day ------------------------------------------------------------------------


@login_required
def my_day(request: HttpRequest) -> HttpResponse:
    """The officer's collections: due today and late, by locality or group, with promises."""
    _require(request, Right.COLLECT, Right.FOLLOW_UP)
    by = request.GET.get("by") if request.GET.get("by") in queries.DAY_GROUPINGS else "locality"
    everyone = request.GET.get("everyone") == "1"
    day = queries.officer_day(request.user, _today(), by=str(by), everyone=everyone)
    return render(
        request,
        "lending/officer/day.html",
        {
            "day": day,
            "by": by,
            "everyone": everyone,
            "can_follow_up": has_right(request.user, Right.FOLLOW_UP),
        },
    )


@login_required
def day_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """An arrears note on a late loan, with a promise to pay if the client made one."""
    _require(request, Right.FOLLOW_UP)
    loan = queries.access_loan(request.user, pk)
    form = FollowUpForm(request.POST or None, currency=loan.currency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.follow_up(
                request.user,  # type: ignore[arg-type]
                loan,
                note=data["note"],
                promised_on=data["promised_on"],
                promised_amount=data["promised_amount"],
            )
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Follow-up recorded."))
            return _go(request, reverse("lending:my_day"))
    notes = FollowUp.objects.filter(loan=loan).select_related("by")[:20]
    return render(
        request,
        "lending/officer/follow_up.html",
        {"loan": loan, "form": form, "notes": notes},
    )


# --- Centres and groups -----------------------------------------------------------------------


@login_required
def centre_list(request: HttpRequest) -> HttpResponse:
    _require(request, Right.SEE_RECORDS)
    can_manage = has_right(request.user, Right.MANAGE_GROUPS)
    form = CentreForm(request.POST or None, user=request.user)
    if request.method == "POST":
        _require(request, Right.MANAGE_GROUPS)
        if form.is_valid():
            data = form.cleaned_data
            try:
                centre = actions.create_centre(
                    request.user,  # type: ignore[arg-type]
                    data["branch"],
                    name=data["name"],
                    meeting_day=data["meeting_day"],
                    meeting_place=data["meeting_place"],
                )
            except TandirError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Centre created."))
                return _go(request, reverse("lending:centre", kwargs={"pk": centre.pk}))
    centres = (
        queries.centres_in_scope(request.user)
        .select_related("branch")
        .annotate(group_count=Count("groups"))
        .order_by("branch__name", "name")
    )
    return render(
        request,
        "lending/groups/centres.html",
        {"centres": centres, "form": form, "can_manage": can_manage},
    )


def _sheets(user: Any, **place: Any) -> Any:
    not_taken = CollectionLine.objects.filter(sheet=OuterRef("pk"), attendance=actions.NOT_TAKEN)
    return (
        CollectionSheet.objects.filter(**place)
        .annotate(is_open=Exists(not_taken))
        .order_by("-meeting_date", "-pk")[:12]
    )


@login_required
def centre_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.SEE_RECORDS)
    centre = queries.access_centre(request.user, pk)
    groups = (
        centre.groups.annotate(member_count=Count("members", filter=Q(members__left_on=None)))
        .select_related("officer")
        .order_by("name")
    )
    return render(
        request,
        "lending/groups/centre.html",
        {
            "centre": centre,
            "groups": groups,
            "sheets": _sheets(request.user, centre=centre),
            "sheet_form": SheetDateForm(
                initial={"meeting_date": next_meeting(centre.meeting_day, _today())}
            ),
            "can_collect": has_right(request.user, Right.COLLECT),
            "can_manage": has_right(request.user, Right.MANAGE_GROUPS),
        },
    )


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    _require(request, Right.SEE_RECORDS)
    groups = (
        queries.groups_in_scope(request.user)
        .select_related("branch", "centre")
        .annotate(member_count=Count("members", filter=Q(members__left_on=None)))
        .order_by("branch__name", "name")
    )
    return render(
        request,
        "lending/groups/groups.html",
        {"groups": groups, "can_manage": has_right(request.user, Right.MANAGE_GROUPS)},
    )


@login_required
def group_create(request: HttpRequest) -> HttpResponse:
    _require(request, Right.MANAGE_GROUPS)
    initial = {"centre": request.GET.get("centre")} if request.GET.get("centre") else None
    form = GroupForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = actions.create_group(
                request.user,  # type: ignore[arg-type]
                data["branch"],
                name=data["name"],
                centre=data["centre"],
                meeting_day=data["meeting_day"],
                meeting_place=data["meeting_place"],
            )
        except TandirError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Group created."))
            return _go(request, reverse("lending:group", kwargs={"pk": group.pk}))
    return render(request, "lending/groups/group_form.html", {"form": form})


def _member_rows(group: Any, today: Any) -> list[dict[str, Any]]:
    members = list(queries.active_members(group=group))
    loans: dict[int, list[Any]] = {}
    for loan in queries.member_loans([m.beneficiary_id for m in members], today):
        loans.setdefault(loan.beneficiary_id, []).append(loan)
    return [{"membership": m, "loans": loans.get(m.beneficiary_id, [])} for m in members]


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Members, their loans and whether the group is on hold (joint liability)."""
    _require(request, Right.SEE_RECORDS)
    group = queries.access_group(request.user, pk)
    today = _today()
    meeting_day = (
        group.meeting_day
        if group.meeting_day is not None
        else (group.centre.meeting_day if group.centre else None)
    )
    return render(
        request,
        "lending/groups/group.html",
        {
            "group": group,
            "rows": _member_rows(group, today),
            "on_hold": queries.group_on_hold(group.pk, today),
            "sheets": _sheets(request.user, group=group),
            "sheet_form": SheetDateForm(initial={"meeting_date": next_meeting(meeting_day, today)}),
            "can_collect": has_right(request.user, Right.COLLECT),
            "can_manage": has_right(request.user, Right.MANAGE_GROUPS),
            "member_form": MemberForm(),
        },
    )


@login_required
def group_member_search(request: HttpRequest, pk: int) -> HttpResponse:
    """People of the group's branch matching the search, to add (an htmx fragment)."""
    _require(request, Right.MANAGE_GROUPS)
    group = queries.access_group(request.user, pk)
    text = request.GET.get("q", "").strip()
    found: list[Any] = []
    if len(text) >= 2:
        current = GroupMembership.objects.filter(beneficiary=OuterRef("pk"), left_on=None)
        found = list(
            search_beneficiaries(request.user, text=text)
            .filter(branch=group.branch)
            .annotate(current_group=Subquery(current.values("group__name")[:1]))
            .order_by("last_name", "first_name")[:10]
        )
    template = (
        "lending/groups/_member_search.html"
        if _is_htmx(request)
        else "lending/groups/member_search.html"
    )
    return render(request, template, {"group": group, "found": found, "text": text})


@login_required
@require_POST
def group_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.MANAGE_GROUPS)
    group = queries.access_group(request.user, pk)
    form = MemberForm(request.POST)
    if not form.is_valid():
        raise Http404
    person = (
        beneficiaries_in_scope(request.user).filter(pk=form.cleaned_data["beneficiary"]).first()
    )
    if person is None:
        raise Http404
    try:
        actions.join_group(
            request.user,  # type: ignore[arg-type]
            group,
            person,
            is_leader=form.cleaned_data["is_leader"],
        )
    except TandirError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s joined the group.") % {"name": person.full_name})
    return _go(request, reverse("lending:group", kwargs={"pk": group.pk}))


@login_required
@require_POST
def group_member_leave(request: HttpRequest, pk: int, membership: int) -> HttpResponse:
    _require(request, Right.MANAGE_GROUPS)
    group = queries.access_group(request.user, pk)
    member = (
        GroupMembership.objects.filter(group=group, pk=membership, left_on=None)
        .select_related("group__branch", "beneficiary")
        .first()
    )
    if member is None:
        raise Http404
    try:
        actions.leave_group(request.user, member)  # type: ignore[arg-type]
    except TandirError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(name)s left the group.") % {"name": member.beneficiary.full_name}
        )
    return _go(request, reverse("lending:group", kwargs={"pk": group.pk}))


# --- Collection sheets ------------------------------------------------------------------------


@login_required
@require_POST
def sheet_prepare(request: HttpRequest) -> HttpResponse:
    """The sheet of a coming (or today's) meeting, made so it can be printed and filled in."""
    _require(request, Right.COLLECT)
    centre = group = None
    if request.POST.get("centre"):
        centre = queries.access_centre(request.user, request.POST["centre"])
        back = reverse("lending:centre", kwargs={"pk": centre.pk})
    else:
        group = queries.access_group(request.user, request.POST.get("group"))
        back = reverse("lending:group", kwargs={"pk": group.pk})
    form = SheetDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the meeting date."))
        return _go(request, back)
    try:
        sheet = actions.prepare_collection_sheet(
            request.user,  # type: ignore[arg-type]
            meeting_date=form.cleaned_data["meeting_date"],
            centre=centre,
            group=group,
        )
    except TandirError as error:
        messages.error(request, error.message)
        return _go(request, back)
    return _go(request, reverse("lending:sheet", kwargs={"pk": sheet.pk}))


def _row(
    line: CollectionLine,
    due: queries.Due,
    is_open: bool,
    values: dict[str, Any],
    problems: list[str],
) -> dict[str, Any]:
    """One line as the sheet shows it: before posting the due now and the officer's entries
    (present and paid as due unless changed), after posting what was recorded."""
    due_total = due.total if is_open else line.due
    if line.loan is not None:
        due_total = due_total.quantize(quantum(line.loan.currency))
    attendance = values.get(f"attendance-{line.pk}") or (line.attendance or Attendance.PRESENT)
    paid = values.get(f"paid-{line.pk}", due_total if is_open else line.paid)
    try:
        as_due = Decimal(str(paid).strip() or "0") == due_total
    except ArithmeticError:
        as_due = False
    return {
        "line": line,
        "due": due if is_open else None,
        "due_total": due_total,
        "attendance": attendance,
        "paid": paid,
        "problems": problems,
        "exception": is_open and (attendance != Attendance.PRESENT or not as_due),
    }


def _sheet_lines(sheet: CollectionSheet) -> list[CollectionLine]:
    group_of = GroupMembership.objects.filter(
        beneficiary=OuterRef("beneficiary_id"), left_on=None
    ).values("group__name")[:1]
    return list(
        CollectionLine.objects.filter(sheet=sheet)
        .select_related("beneficiary", "loan", "repayment")
        .annotate(group_name=Subquery(group_of))
        .order_by("group_name", "beneficiary__last_name", "beneficiary__first_name", "pk")
    )


@login_required
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting's sheet: each member's due, "paid as due" and present by default, so only the
    exceptions are typed; posting records the whole sheet or nothing."""
    _require(request, Right.SEE_RECORDS)
    sheet = queries.access_sheet(request.user, pk)
    lines = _sheet_lines(sheet)
    is_open = any(line.attendance == actions.NOT_TAKEN for line in lines)
    dues = queries.dues_on([line.loan_id for line in lines if line.loan_id], sheet.meeting_date)
    due_of = {
        line.pk: dues.get(line.loan_id, queries.Due()) if line.loan_id else queries.Due()
        for line in lines
    }
    problems: dict[int, list[str]] = {}
    errors: list[str] = []
    values: dict[str, Any] = {}
    if request.method == "POST":
        _require(request, Right.COLLECT)
        if not is_open:
            errors.append(_("This meeting's sheet is already posted."))
        else:
            values = request.POST.dict()
            entries, problems = parse_sheet(
                request.POST, lines, {pk: due.total for pk, due in due_of.items()}
            )
            if not problems:
                try:
                    actions.post_prepared_sheet(
                        request.user,  # type: ignore[arg-type]
                        sheet,
                        entries,
                    )
                except TandirError as error:
                    errors.extend(error.details.get("problems") or [error.message])
                else:
                    messages.success(request, _("The sheet is posted."))
                    return _go(request, reverse("lending:sheet", kwargs={"pk": sheet.pk}))
    rows = []
    totals = {"due": Decimal(0), "paid": Decimal(0)}
    for line in lines:
        row = _row(line, due_of[line.pk], is_open, values, problems.get(line.pk, []))
        rows.append(row)
        totals["due"] += row["due_total"]
        totals["paid"] += line.paid
    context = {
        "sheet": sheet,
        "place": sheet.centre or sheet.group,
        "rows": rows,
        "totals": totals,
        "currency": next((line.loan.currency for line in lines if line.loan), ""),
        "is_open": is_open,
        "can_post": is_open
        and has_right(request.user, Right.COLLECT)
        and sheet.meeting_date <= _today(),
        "attendance_choices": Attendance.choices,
        "errors": errors,
        "has_problems": bool(problems),
        "pdf_url": optional_url("lending:sheet_pdf", pk=sheet.pk),
    }
    template = "lending/officer/_sheet.html" if _is_htmx(request) else "lending/officer/sheet.html"
    return render(request, template, context)


# An absent member, or one on leave, usually pays nothing; the others pay what is due.
NOT_AT_THE_MEETING = (Attendance.ABSENT, Attendance.LEAVE)


@login_required
def sheet_line(request: HttpRequest, pk: int, line: int) -> HttpResponse:
    """One line of an open sheet drawn again as the officer changes it (an htmx fragment):
    choosing absence empties the amount, choosing presence brings back the due, and a typed
    amount is checked at once. Nothing is written until the sheet is posted."""
    _require(request, Right.COLLECT)
    sheet = queries.access_sheet(request.user, pk)
    found = (
        CollectionLine.objects.filter(sheet=sheet, pk=line, attendance=actions.NOT_TAKEN)
        .select_related("beneficiary", "loan")
        .first()
    )
    if found is None:
        raise Http404
    due = (
        queries.dues_on([found.loan_id], sheet.meeting_date).get(found.loan_id, queries.Due())
        if found.loan_id
        else queries.Due()
    )
    values = request.GET.dict()
    if request.headers.get("HX-Trigger") == f"attendance-{found.pk}":
        chosen = values.get(f"attendance-{found.pk}")
        row = _row(found, due, True, {}, [])
        values[f"paid-{found.pk}"] = "0" if chosen in NOT_AT_THE_MEETING else row["due_total"]
    _entries, problems = parse_sheet(values, [found], {found.pk: due.total})
    row = _row(found, due, True, values, problems.get(found.pk, []))
    return render(
        request,
        "lending/officer/_sheet_line.html",
        {"row": row, "sheet": sheet, "is_open": True, "attendance_choices": Attendance.choices},
    )
