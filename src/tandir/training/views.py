"""Training pages: the trainer's view, the curriculum, venues, cohorts, the attendance page for
a phone, certificates and their public check.

Views parse, authorise (a missing right is the 403 page; a cohort outside scope is a 404
through `queries.access_cohort`), call one action of `tandir.training.actions`, and render.
The attendance page answers htmx taps with the row it replaces and works without JavaScript.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandir.core.audit import channel
from tandir.core.errors import TandirError
from tandir.orgs.roles import Right, has_right
from tandir.registry.queries import search_beneficiaries
from tandir.training import actions, documents, imports, queries
from tandir.training.forms import (
    CohortForm,
    CourseForm,
    DropOutForm,
    InstitutionForm,
    MaterialForm,
    ModuleForm,
    ScoreForm,
    SearchForm,
    SessionForm,
    VenueForm,
)
from tandir.training.models import HOLDS_PLACE, Mark, Participant, ParticipantStatus


def _require(request: HttpRequest, *rights: Right) -> None:
    if not any(has_right(request.user, right) for right in rights):
        raise PermissionDenied(_("Your role does not allow this."))


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _refused(form: Any, error: TandirError) -> None:
    for problem in error.details.get("problems") or [error.message]:
        form.add_error(None, problem)


def _user(request: HttpRequest) -> Any:
    return request.user


# --- The trainer's view -----------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _require(request, Right.TEACH, Right.MANAGE_TRAINING)
    view = queries.trainer_view(request.user, timezone.localdate())
    return render(
        request,
        "training/home.html",
        {
            "view": view,
            "today": timezone.localdate(),
            "can_manage": has_right(request.user, Right.MANAGE_TRAINING),
        },
    )


# --- Curriculum, venues and institutions -----------------------------------------------------


@login_required
def curriculum(request: HttpRequest) -> HttpResponse:
    _require(request, Right.TEACH, Right.MANAGE_TRAINING)
    return render(
        request,
        "training/curriculum.html",
        {
            "modules": queries.modules_in_scope(request.user).annotate(
                material_count=Count("materials")
            ),
            "courses": queries.courses_in_scope(request.user).select_related("prerequisite"),
            "can_manage": has_right(request.user, Right.MANAGE_TRAINING),
        },
    )


@login_required
@require_POST
def seed(request: HttpRequest) -> HttpResponse:
    _require(request, Right.MANAGE_TRAINING)
    user = _user(request)
    if user.organization is None:
        raise Http404("No organisation.")
    modules = actions.seed_curriculum(user, user.organization)
    messages.success(
        request, _("The standard modules are in place (%(count)s).") % {"count": len(modules)}
    )
    return redirect("training:curriculum")


@login_required
def module_new(request: HttpRequest) -> HttpResponse:
    _require(request, Right.MANAGE_TRAINING)
    form = ModuleForm(_posted(request))
    if form.is_valid():
        try:
            module = actions.create_module(_user(request), **form.cleaned_data)
        except TandirError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Module %(title)s saved.") % {"title": module.title})
            return redirect("training:module", pk=module.pk)
    return render(request, "training/form.html", {"form": form, "title": _("New module")})


@login_required
def module_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.TEACH, Right.MANAGE_TRAINING)
    module = queries.access_module(request.user, pk)
    can_manage = has_right(request.user, Right.MANAGE_TRAINING)
    initial = {f: getattr(module, f) for f in ("code", "title", "objectives", "hours", "language")}
    post = _posted(request) if can_manage else None
    form = ModuleForm(post if post and "title" in post else None, initial=initial)
    form.fields["code"].disabled = True
    upload = MaterialForm(post if post and "title" not in post else None, request.FILES or None)
    if post is not None and "title" in post and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("code")
        try:
            actions.update_module(_user(request), module, **data)
        except TandirError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Module %(title)s saved.") % {"title": module.title})
            return redirect("training:module", pk=module.pk)
    elif post is not None and upload.is_valid():
        sent = upload.cleaned_data["file"]
        try:
            actions.attach_material(_user(request), module, name=sent.name, content=sent.read())
        except TandirError as error:
            upload.add_error("file", error.message)
        else:
            messages.success(request, _("Material added."))
            return redirect("training:module", pk=module.pk)
    return render(
        request,
        "training/module.html",
        {
            "module": module,
            "materials": module.materials.all(),
            "form": form,
            "upload": upload,
            "can_manage": can_manage,
        },
    )


@login_required
def material_file(request: HttpRequest, pk: int, material: int) -> FileResponse:
    _require(request, Right.TEACH, Right.MANAGE_TRAINING)
    module = queries.access_module(request.user, pk)
    found = module.materials.filter(pk=material).first()
    if found is None:
        raise Http404("No material found.")
    return FileResponse(
        found.file.open("rb"), as_attachment=True, filename=found.file.name or found.name
    )


@login_required
def course_new(request: HttpRequest) -> HttpResponse:
    _require(request, Right.MANAGE_TRAINING)
    form = CourseForm(_posted(request), user=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        # Modules are taught in the order of the list (the order they were added in).
        data["modules"] = list(data["modules"].order_by("pk"))
        try:
            course = actions.create_course(_user(request), **data)
        except TandirError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Course %(title)s saved.") % {"title": course.title})
            return redirect("training:curriculum")
    return render(request, "training/form.html", {"form": form, "title": _("New course")})


@login_required
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.MANAGE_TRAINING)
    course = queries.access_course(request.user, pk)
    in_order = [part.module_id for part in course.parts.all()]
    initial: dict[str, Any] = {
        "code": course.code,
        "title": course.title,
        "level": course.level,
        "prerequisite": course.prerequisite_id,
        "modules": in_order,
        "min_attendance": course.min_attendance,
        "pass_score": course.pass_score,
    }
    form = CourseForm(_posted(request), user=request.user, initial=initial)
    form.fields["code"].disabled = True
    form.fields["prerequisite"].queryset = (  # type: ignore[attr-defined]
        form.fields["prerequisite"].queryset.exclude(pk=course.pk)  # type: ignore[attr-defined]
    )
    if form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("code")
        # The modules already in the course keep their order; added ones come after them.
        order = {module_id: n for n, module_id in enumerate(in_order)}
        data["modules"] = sorted(data["modules"], key=lambda m: (order.get(m.pk, len(order)), m.pk))
        try:
            actions.update_course(_user(request), course, **data)
        except TandirError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Course %(title)s saved.") % {"title": course.title})
            return redirect("training:curriculum")
    return render(
        request,
        "training/form.html",
        {"form": form, "title": _("Edit course %(code)s") % {"code": course.code}},
    )


@login_required
def venues(request: HttpRequest) -> HttpResponse:
    _require(request, Right.TEACH, Right.MANAGE_TRAINING)
    can_manage = has_right(request.user, Right.MANAGE_TRAINING)
    post = _posted(request) if can_manage else None
    which = (post or {}).get("form")
    venue_form = VenueForm(post if which == "venue" else None, user=request.user, prefix="venue")
    institution_form = InstitutionForm(post if which == "institution" else None, prefix="inst")
    try:
        if which == "venue" and venue_form.is_valid():
            actions.create_venue(_user(request), **venue_form.cleaned_data)
            messages.success(request, _("Venue saved."))
            return redirect("training:venues")
        if which == "institution" and institution_form.is_valid():
            actions.create_institution(_user(request), **institution_form.cleaned_data)
            messages.success(request, _("Partner institution saved."))
            return redirect("training:venues")
    except TandirError as error:
        _refused(venue_form if which == "venue" else institution_form, error)
    return render(
        request,
        "training/venues.html",
        {
            "venues": queries.venues_in_scope(request.user),
            "institutions": queries.institutions_in_scope(request.user),
            "venue_form": venue_form,
            "institution_form": institution_form,
            "can_manage": can_manage,
        },
    )


# --- Cohorts ----------------------------------------------------------------------------------


@login_required
def cohort_new(request: HttpRequest) -> HttpResponse:
    _require(request, Right.MANAGE_TRAINING)
    form = CohortForm(_posted(request), user=request.user)
    if form.is_valid():
        try:
            cohort = actions.create_cohort(_user(request), **form.cleaned_data)
        except TandirError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Cohort %(code)s created.") % {"code": cohort.code})
            return redirect("training:cohort", pk=cohort.pk)
    return render(request, "training/form.html", {"form": form, "title": _("New cohort")})


def _cohort_context(request: HttpRequest, cohort: Any, **extra: Any) -> dict[str, Any]:
    user = request.user
    search = SearchForm(request.GET or None)
    found: list[Any] = []
    can_manage = has_right(user, Right.MANAGE_TRAINING) and cohort.status == "open"
    if can_manage and search.is_valid() and search.cleaned_data["q"]:
        taken = Participant.objects.filter(cohort=cohort).values("beneficiary_id")
        found = list(
            search_beneficiaries(user, text=search.cleaned_data["q"])
            .exclude(pk__in=taken)
            .order_by("last_name", "first_name")[:20]
        )
    lines = queries.participant_lines(cohort)
    return {
        "cohort": cohort,
        "sessions": cohort.sessions.select_related("module").annotate(
            present=Count("attendance", filter=Q(attendance__mark=Mark.PRESENT))
        ),
        "lines": lines,
        "places_taken": sum(1 for line in lines if line.participant.status in HOLDS_PLACE),
        "trainers": cohort.trainers.order_by("last_name"),
        "session_form": extra.pop("session_form", None) or SessionForm(course=cohort.course),
        "search": search,
        "found": found,
        "can_manage": can_manage,
        "can_teach": has_right(user, Right.TEACH) and cohort.status == "open",
        "today": timezone.localdate(),
        **extra,
    }


@login_required
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = queries.access_cohort(request.user, pk)
    return render(request, "training/cohort.html", _cohort_context(request, cohort))


@login_required
@require_POST
def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.MANAGE_TRAINING)
    cohort = queries.access_cohort(request.user, pk)
    form = SessionForm(request.POST, course=cohort.course)
    if form.is_valid():
        try:
            actions.add_session(_user(request), cohort, **form.cleaned_data)
        except TandirError as error:
            form.add_error("held_on", error.message)
        else:
            messages.success(request, _("Session added."))
            return redirect("training:cohort", pk=cohort.pk)
    return render(
        request, "training/cohort.html", _cohort_context(request, cohort, session_form=form)
    )


@login_required
@require_POST
def enrol(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.MANAGE_TRAINING)
    cohort = queries.access_cohort(request.user, pk)
    person = search_beneficiaries(request.user).filter(pk=request.POST.get("person") or 0).first()
    if person is None:
        raise Http404("No participant found.")
    try:
        participant = actions.enrol(_user(request), cohort, person)
    except TandirError as error:
        messages.error(request, error.message)
    else:
        if participant.status == ParticipantStatus.WAITING:
            messages.warning(
                request,
                _("The cohort is full: %(name)s is on the waiting list.")
                % {"name": person.full_name},
            )
        else:
            messages.success(request, _("%(name)s enrolled.") % {"name": person.full_name})
    return redirect("training:cohort", pk=cohort.pk)


@login_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Right.TEACH)
    cohort = queries.access_cohort(request.user, pk)
    try:
        result = actions.complete_cohort(_user(request), cohort)
    except TandirError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Cohort closed: %(done)s completed, %(not_done)s did not complete.")
            % {"done": len(result.completed), "not_done": len(result.not_completed)},
        )
    return redirect("training:cohort", pk=cohort.pk)


@login_required
def participant(request: HttpRequest, pk: int) -> HttpResponse:
    """One participant: score, completion, drop-out, certificate."""
    found = queries.access_participant(request.user, pk)
    cohort = found.cohort
    post = _posted(request)
    step = (post or {}).get("step", "")
    score = ScoreForm(post if step == "score" else None, initial={"score": found.score})
    drop = DropOutForm(post if step == "drop" else None)
    if post is not None:
        _require(request, Right.TEACH)
        try:
            if step == "score" and score.is_valid():
                actions.record_score(_user(request), found, score.cleaned_data["score"])
                messages.success(request, _("Score saved."))
                return redirect("training:participant", pk=found.pk)
            if step == "complete":
                actions.complete_participant(_user(request), found)
                messages.success(request, _("Completed: the certificate is ready."))
                return redirect("training:participant", pk=found.pk)
            if step == "drop" and drop.is_valid():
                actions.drop_out(_user(request), found, reason=drop.cleaned_data["reason"])
                messages.success(request, _("Drop-out recorded."))
                return redirect("training:cohort", pk=cohort.pk)
        except TandirError as error:
            for problem in error.details.get("problems") or [error.message]:
                messages.error(request, problem)
            return redirect("training:participant", pk=found.pk)
    lines = [line for line in queries.participant_lines(cohort) if line.participant.pk == found.pk]
    return render(
        request,
        "training/participant.html",
        {
            "found": found,
            "cohort": cohort,
            "line": lines[0] if lines else None,
            "score_form": score,
            "drop_form": drop,
            "certificate": getattr(found, "certificate", None),
            "can_teach": has_right(request.user, Right.TEACH) and cohort.status == "open",
        },
    )


# --- Attendance -------------------------------------------------------------------------------


def _marks_from(request: HttpRequest) -> dict[int, str]:
    marks: dict[int, str] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith("mark-") and value:
            try:
                marks[int(key[5:])] = value
            except ValueError:
                continue
    return marks


@login_required
def attendance(request: HttpRequest, pk: int, session: int) -> HttpResponse:
    """The whole cohort for one session: a tap marks one person, "Save all" the whole list."""
    _require(request, Right.TEACH)
    cohort = queries.access_cohort(request.user, pk)
    held = queries.access_session(request.user, cohort, session)
    problem = ""
    if request.method == "POST":
        marks = _marks_from(request)
        if request.POST.get("rest") in Mark.values:
            # "Everyone not marked": the rest of the list gets one mark at once.
            for line in queries.attendance_rows(held):
                if not line.mark and line.participant.pk not in marks:
                    marks[line.participant.pk] = request.POST["rest"]
        tapped = _is_htmx(request) and len(marks) == 1
        try:
            actions.record_attendance(_user(request), held, marks)
        except TandirError as error:
            problem = error.message
        else:
            if not tapped:
                messages.success(request, _("Attendance saved."))
                return redirect("training:attendance", pk=cohort.pk, session=held.pk)
        if tapped:
            (participant_id,) = marks
            row = next(iter(queries.attendance_rows(held, only=participant_id)), None)
            if row is None:
                return HttpResponse(problem, status=422, content_type="text/plain; charset=utf-8")
            return render(
                request,
                "training/_attendance_row.html",
                {"row": row, "cohort": cohort, "session": held, "marks": Mark.choices,
                 "error": problem, "counts": queries.attendance_counts(held)},
            )  # fmt: skip
    sheet = queries.attendance_sheet(cohort, held)
    return render(
        request,
        "training/attendance.html",
        {
            "sheet": sheet,
            "cohort": cohort,
            "session": held,
            "marks": Mark.choices,
            "problem": problem,
            "is_future": held.held_on > timezone.localdate(),
        },
    )


# --- Certificates -----------------------------------------------------------------------------


def verify_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("training:verify", kwargs={"code": code}))


@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    found = queries.access_participant(request.user, pk)
    certificate = getattr(found, "certificate", None)
    if certificate is None:
        raise Http404("No certificate yet.")
    try:
        language = documents.certificate_language(found, request.GET.get("lang"))
    except TandirError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    pdf = documents.certificate_pdf(certificate, language, verify_url(request, certificate.code))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.file_name(certificate)}"'
    return response


def verify(request: HttpRequest, code: str = "") -> HttpResponse:
    """The public check of a certificate: initials, course and date, nothing else."""
    typed = request.GET.get("code", "")
    if typed and not code:
        return redirect("training:verify", code=queries.normalised_code(typed) or "-")
    if not code:
        return render(request, "training/verify.html", {"asked": False})
    certificate = queries.certificate_by_code(code)
    context: dict[str, Any] = {"asked": True, "code": code[:24]}
    if certificate is None:
        return render(request, "training/verify.html", context, status=404)
    person = certificate.participant.beneficiary
    context.update(
        {
            "certificate": certificate,
            "initials": queries.initials(person.first_name, person.last_name),
            "course": certificate.participant.cohort.course.title,
            "completed_on": certificate.participant.completed_on or certificate.issued_on,
        }
    )
    return render(request, "training/verify.html", context)


@login_required
def attendance_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance sheet of a cohort (CSV or XLSX), as `tandir import attendance` takes it:
    every line checked, every bad one listed, nothing written unless all are good."""
    _require(request, Right.TEACH)
    cohort = queries.access_cohort(request.user, pk)
    form = MaterialForm(_posted(request), request.FILES or None)
    form.fields["file"].label = _("attendance sheet (CSV or XLSX)")
    errors: list[Any] = []
    if request.method == "POST" and form.is_valid():
        sent = form.cleaned_data["file"]
        suffix = Path(sent.name).suffix.lower()
        if suffix not in {".csv", ".xlsx"}:
            form.add_error("file", _("Send a .csv or .xlsx file."))
        else:
            # The sheet reader takes a path: the upload goes through a file of its own kind.
            with tempfile.NamedTemporaryFile(suffix=suffix) as sheet:
                for chunk in sent.chunks():
                    sheet.write(chunk)
                sheet.flush()
                try:
                    with channel("import"):
                        result = imports.check_and_import(_user(request), cohort, Path(sheet.name))
                except TandirError as error:
                    form.add_error("file", error.message)
                else:
                    errors = result.errors
                    if not errors:
                        messages.success(
                            request,
                            _("%(lines)s lines read, %(written)s marks written or changed.")
                            % {"lines": result.lines, "written": result.written},
                        )
                        return redirect("training:cohort", pk=cohort.pk)
    return render(
        request,
        "training/attendance_upload.html",
        {"cohort": cohort, "form": form, "errors": errors, "columns": imports.COLUMNS},
    )
