"""Association pages: the list, an association's members, officers, meetings, dues and
activities, a form for each write, and the programme's support over time.

Views parse, authorise (without the right to manage associations a 403 page; an association
outside the reader's organisation or branches a 404 through `access_association`), call one
action and render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.associations import actions, queries
from tandir.associations.forms import (
    ActivityForm,
    AssociationForm,
    DuesForm,
    DuesPaymentForm,
    ElectionForm,
    EndTermForm,
    JoinForm,
    LeaveForm,
    MeetingForm,
)
from tandir.associations.models import Association, Membership, OfficeTerm
from tandir.core.errors import TandirError
from tandir.orgs.roles import Right, has_right


def _require(request: HttpRequest) -> None:
    if not has_right(request.user, Right.MANAGE_ASSOCIATIONS):
        raise PermissionDenied(_("Your role does not allow this."))


def _detail(association: Association) -> str:
    return reverse("associations:detail", kwargs={"pk": association.pk})


def _today() -> Any:
    return timezone.localdate()


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    association: Association | None,
    title: str,
    submit: str,
    cancel: str,
) -> HttpResponse:
    return render(
        request,
        "associations/form.html",
        {
            "form": form,
            "association": association,
            "title": title,
            "submit": submit,
            "cancel": cancel,
        },
    )


def _attempt(form: Any, write: Callable[[], Any]) -> Any:
    """Run the action; a refusal becomes the form's error and the page is shown again."""
    try:
        return write()
    except TandirError as error:
        form.add_error(None, error.message)
        return None


@login_required
def association_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    return render(
        request,
        "associations/list.html",
        {"associations": queries.association_list(request.user)},
    )


@login_required
def association_create(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = AssociationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        association = _attempt(
            form,
            lambda: actions.create_association(
                request.user,  # type: ignore[arg-type]
                data["branch"],
                kind=data["kind"],
                name=data["name"],
                sector=data["sector"],
                district=data["district"],
                locality=data["locality"],
                founded_on=data["founded_on"],
                formed_with_programme=data["formed_with_programme"],
                purpose=data["purpose"],
            ),
        )
        if association is not None:
            messages.success(request, _("Association created."))
            return redirect(_detail(association))
    return _form_page(
        request,
        form,
        association=None,
        title=_("New association or cluster"),
        submit=_("Create"),
        cancel=reverse("associations:list"),
    )


@login_required
def association_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    page = queries.association_page(association, _today())
    return render(
        request,
        "associations/detail.html",
        {"association": association, "page": page, "today": _today()},
    )


@login_required
def association_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    initial = {
        "kind": association.kind,
        "name": association.name,
        "sector": association.sector,
        "district": association.district_id,
        "locality": association.locality_id,
        "founded_on": association.founded_on,
        "formed_with_programme": association.formed_with_programme,
        "purpose": association.purpose,
    }
    form = AssociationForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _attempt(
            form,
            lambda: actions.update_association(
                request.user,  # type: ignore[arg-type]
                association,
                kind=data["kind"],
                name=data["name"],
                sector=data["sector"],
                district=data["district"],
                locality=data["locality"],
                founded_on=data["founded_on"],
                formed_with_programme=data["formed_with_programme"],
                purpose=data["purpose"],
            ),
        )
        if done is not None:
            messages.success(request, _("Changes saved."))
            return redirect(_detail(association))
    return _form_page(
        request,
        form,
        association=association,
        title=_("Edit %(name)s") % {"name": association.name},
        submit=_("Save"),
        cancel=_detail(association),
    )


@login_required
def dues_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    initial = {
        "amount": association.dues_amount,
        "period": association.dues_period,
        "since": association.dues_since,
    }
    form = DuesForm(request.POST or None, initial=initial)
    form.fields["amount"].help_text = _("In %(currency)s. Leave empty if members pay no dues.") % {
        "currency": association.organization.currency
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = _attempt(
            form,
            lambda: actions.set_dues(
                request.user,  # type: ignore[arg-type]
                association,
                amount=data["amount"],
                period=data["period"],
                since=data["since"],
            ),
        )
        if done is not None:
            messages.success(request, _("Dues saved."))
            return redirect(_detail(association))
    return _form_page(
        request,
        form,
        association=association,
        title=_("Membership dues"),
        submit=_("Save"),
        cancel=_detail(association),
    )


@login_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Find participants of the association's branch by name, phone or ID, and add one."""
    from tandir.registry.queries import beneficiaries_in_scope, search_beneficiaries

    _require(request)
    association = queries.access_association(request.user, pk)
    form = JoinForm(request.POST or None, initial={"joined_on": _today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = beneficiaries_in_scope(request.user).filter(pk=data["beneficiary"]).first()
        if person is None:
            raise Http404
        membership = _attempt(
            form,
            lambda: actions.add_member(
                request.user,  # type: ignore[arg-type]
                association,
                person,
                joined_on=data["joined_on"],
                business_name=data["business_name"],
            ),
        )
        if membership is not None:
            messages.success(
                request, _("%(name)s joined the association.") % {"name": person.full_name}
            )
            return redirect(_detail(association))
    text = request.GET.get("q", "").strip()
    found: list[Any] = []
    if len(text) >= 2:
        current = Membership.objects.filter(
            association=association, beneficiary=OuterRef("pk"), left_on=None
        )
        found = list(
            search_beneficiaries(request.user, text=text)
            .filter(organization_id=association.organization_id)
            .select_related("locality")
            .annotate(is_member=Exists(current))
            .order_by("last_name", "first_name")[:15]
        )
    template = (
        "associations/_member_results.html"
        if request.headers.get("HX-Request") == "true" and request.method == "GET"
        else "associations/member_add.html"
    )
    return render(
        request,
        template,
        {
            "association": association,
            "form": form,
            "found": found,
            "text": text,
            "joined_on": request.POST.get("joined_on") or _today().isoformat(),
        },
    )


@login_required
def member_leave(request: HttpRequest, pk: int, membership: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    member = (
        Membership.objects.filter(association=association, pk=membership)
        .select_related("beneficiary")
        .first()
    )
    if member is None:
        raise Http404
    form = LeaveForm(request.POST or None, initial={"left_on": _today()})
    if request.method == "POST" and form.is_valid():
        done = _attempt(
            form,
            lambda: actions.end_membership(
                request.user,  # type: ignore[arg-type]
                member,
                left_on=form.cleaned_data["left_on"],
            ),
        )
        if done is not None:
            messages.success(
                request, _("%(name)s left the association.") % {"name": member.beneficiary}
            )
            return redirect(_detail(association))
    return _form_page(
        request,
        form,
        association=association,
        title=_("%(name)s leaves the association") % {"name": member.beneficiary.full_name},
        submit=_("Record leaving"),
        cancel=_detail(association),
    )


@login_required
def officer_elect(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    form = ElectionForm(
        request.POST or None, association=association, initial={"starts_on": _today()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        term = _attempt(
            form,
            lambda: actions.elect_officer(
                request.user,  # type: ignore[arg-type]
                association,
                data["membership"],
                office=data["office"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            ),
        )
        if term is not None:
            messages.success(request, _("Election recorded."))
            return redirect(_detail(association))
    return _form_page(
        request,
        form,
        association=association,
        title=_("Elect an officer"),
        submit=_("Record the election"),
        cancel=_detail(association),
    )


@login_required
def term_end(request: HttpRequest, pk: int, term: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    found = (
        OfficeTerm.objects.filter(association=association, pk=term)
        .select_related("membership__beneficiary")
        .first()
    )
    if found is None:
        raise Http404
    form = EndTermForm(request.POST or None, initial={"ends_on": _today()})
    if request.method == "POST" and form.is_valid():
        done = _attempt(
            form,
            lambda: actions.end_term(
                request.user,  # type: ignore[arg-type]
                found,
                ends_on=form.cleaned_data["ends_on"],
            ),
        )
        if done is not None:
            messages.success(request, _("The term of office ended."))
            return redirect(_detail(association))
    return _form_page(
        request,
        form,
        association=association,
        title=_("End the term of %(name)s as %(office)s")
        % {"name": found.membership.beneficiary.full_name, "office": found.get_office_display()},
        submit=_("End the term"),
        cancel=_detail(association),
    )


@login_required
def meeting_create(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    form = MeetingForm(request.POST or None, association=association, initial={"held_on": _today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        meeting = _attempt(
            form,
            lambda: actions.record_meeting(
                request.user,  # type: ignore[arg-type]
                association,
                held_on=data["held_on"],
                present=form.present_ids(),
                place=data["place"],
                minutes=data["minutes"],
            ),
        )
        if meeting is not None:
            messages.success(request, _("Meeting recorded."))
            return redirect(
                reverse(
                    "associations:meeting", kwargs={"pk": association.pk, "meeting": meeting.pk}
                )
            )
    return _form_page(
        request,
        form,
        association=association,
        title=_("Record a meeting"),
        submit=_("Record the meeting"),
        cancel=_detail(association),
    )


@login_required
def meeting_detail(request: HttpRequest, pk: int, meeting: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    found = queries.meeting_in(association, meeting)
    return render(
        request,
        "associations/meeting.html",
        {
            "association": association,
            "meeting": found,
            "attendees": queries.meeting_attendees(found),
        },
    )


@login_required
def payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    if not association.has_dues:
        messages.error(request, _("Set the association's dues first."))
        return redirect(_detail(association))
    initial: dict[str, Any] = {"paid_on": _today(), "amount": association.dues_amount}
    if request.GET.get("member", "").isdigit():
        initial["membership"] = int(request.GET["member"])
    form = DuesPaymentForm(request.POST or None, association=association, initial=initial)
    form.fields["amount"].help_text = association.dues_currency
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payment = _attempt(
            form,
            lambda: actions.record_dues_payment(
                request.user,  # type: ignore[arg-type]
                data["membership"],
                amount=data["amount"],
                paid_on=data["paid_on"],
                note=data["note"],
            ),
        )
        if payment is not None:
            messages.success(request, _("Payment recorded."))
            return redirect(_detail(association) + "#dues")
    return _form_page(
        request,
        form,
        association=association,
        title=_("Record a dues payment"),
        submit=_("Record the payment"),
        cancel=_detail(association),
    )


@login_required
def activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    association = queries.access_association(request.user, pk)
    form = ActivityForm(
        request.POST or None, association=association, initial={"held_on": _today()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        activity = _attempt(
            form,
            lambda: actions.record_activity(
                request.user,  # type: ignore[arg-type]
                association,
                kind=data["kind"],
                held_on=data["held_on"],
                description=data["description"],
                participants=data["participants"],
                members=form.member_ids(),
            ),
        )
        if activity is not None:
            messages.success(request, _("Activity recorded."))
            return redirect(_detail(association) + "#activities")
    return _form_page(
        request,
        form,
        association=association,
        title=_("Record a support activity"),
        submit=_("Record the activity"),
        cancel=_detail(association),
    )


@login_required
def support(request: HttpRequest) -> HttpResponse:
    """The programme's support: associations it helped form, their size and activity over time.
    Read by those who manage associations and by those who read the programme's reports (M&E)."""
    if not (
        has_right(request.user, Right.MANAGE_ASSOCIATIONS)
        or has_right(request.user, Right.SEE_REPORTS)
    ):
        raise PermissionDenied(_("Your role does not allow this."))
    helped_only = request.GET.get("all") != "1"
    overview = queries.support_overview(request.user, _today(), helped_only=helped_only)
    can_open = has_right(request.user, Right.MANAGE_ASSOCIATIONS)
    return render(request, "associations/support.html", {"support": overview, "can_open": can_open})
