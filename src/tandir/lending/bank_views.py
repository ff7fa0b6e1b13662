"""Pages of a partner bank's files: the statement upload with its progress, the reconciliation
of a statement, and the download of a disbursement instruction.

A statement is checked and posted while the page is sent: the page streams a progress bar
that grows chunk by chunk (CSS shows only the latest bar, so no script is needed), then the
outcome. Views parse, authorise, call `bank_statements` (and through it the action) and render.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandir.core.audit import channel
from tandir.lending import bank_statements, files
from tandir.lending.models import BankStatement, BankStatementLine
from tandir.lending.queries import loans_in_scope
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right

# Where the streamed page puts the progress and the outcome.
STREAM_MARK = "<!-- statement-outcome -->"
# Lines listed per outcome on the page of a refused file (every error is listed regardless).
SHOWN_LINES = 200
RECENT_STATEMENTS = 50


def _require(request: HttpRequest, right: Right) -> None:
    if not has_right(request.user, right):
        raise PermissionDenied(_("Your role does not allow this."))


class StatementForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Bank statement"),
        help_text=gettext_lazy(
            "CSV (UTF-8) or XLSX with the columns value_date, loan_ref, amount, bank_ref."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in {".csv", ".xlsx"}:
            raise forms.ValidationError(_("Choose a .csv or .xlsx file."))
        return upload


def statements_in_scope(user: Any) -> QuerySet[BankStatement]:
    """Statements of the user's organisation all of whose loans the user may reach."""
    if not has_right(user, Right.SEE_RECORDS):
        return BankStatement.objects.none()
    outside = BankStatementLine.objects.filter(statement=OuterRef("pk")).exclude(
        loan__in=loans_in_scope(user)
    )
    return scope(user, BankStatement.objects.all(), branch_field=None).exclude(Exists(outside))


@login_required
def bank_statements_page(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The upload form and the latest statements; a posted file is imported as the page streams."""
    _require(request, Right.COLLECT)
    form = StatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        return _import_streamed(request, form.cleaned_data["file"])
    recent = statements_in_scope(request.user).select_related("imported_by")[:RECENT_STATEMENTS]
    return render(request, "lending/bank/statements.html", {"form": form, "statements": recent})


def _saved(upload: UploadedFile) -> Path:
    """The upload in a file of its own: the reader checks its size and reads it from disk."""
    suffix = Path(upload.name or "").suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix, prefix="statement-", delete=False) as out:
        upload.seek(0)
        shutil.copyfileobj(upload, out, 2**16)
    return Path(out.name)


def _import_streamed(request: HttpRequest, upload: UploadedFile) -> StreamingHttpResponse:
    user = request.user
    path = _saved(upload)
    name = Path(upload.name or "statement").name
    total = bank_statements.count_statement_lines(path)
    page = render_to_string(
        "lending/bank/importing.html", {"file_name": name, "total": total}, request=request
    )
    head, tail = page.split(STREAM_MARK, 1)
    # The page is sent after the view returns, outside the middleware's language and channel.
    language = translation.get_language()

    def stream() -> Generator[str]:
        with translation.override(language), channel("web"):
            yield head
            result = bank_statements.StatementResult()
            done = 0
            for lines in bank_statements.checking(user, path, result):
                done += lines
                yield _progress(_("Checking"), done, total)
            if not result.errors:
                yield _progress(_("Posting"), None, result.matched)
                bank_statements.post_statement(user, path, result, file_name=name)
            yield render_to_string(
                "lending/bank/_outcome.html", _outcome_context(result), request=request
            )
            yield tail

    response = StreamingHttpResponse(
        _Stream(stream(), path), content_type="text/html; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a proxy passes each chunk on as it comes
    return response


class _Stream:
    """The page's chunks; closing the response (sent, or the client gone, even before the
    first chunk) removes the uploaded file."""

    def __init__(self, chunks: Generator[str], path: Path) -> None:
        self.chunks = chunks
        self.path = path

    def __iter__(self) -> Iterator[str]:
        return self.chunks

    def close(self) -> None:
        try:
            self.chunks.close()
        finally:
            self.path.unlink(missing_ok=True)


def _progress(step: str, done: int | None, total: int | None) -> str:
    return render_to_string(
        "lending/bank/_progress.html", {"step": step, "done": done, "total": total}
    )


def _outcome_context(result: bank_statements.StatementResult) -> dict[str, Any]:
    groups = {}
    for outcome in bank_statements.Outcome:
        lines = [line for line in result.lines if line.outcome == outcome]
        groups[outcome.value] = {"lines": lines[:SHOWN_LINES], "count": len(lines)}
    return {
        "result": result,
        "statement": result.statement,
        "errors": result.errors,
        "matched": groups["matched"],
        "unmatched": groups["unmatched"],
        "duplicate": groups["duplicate"],
        "shown_lines": SHOWN_LINES,
    }


def access_statement(user: Any, pk: int) -> BankStatement:
    statement = (
        statements_in_scope(user).select_related("imported_by").filter(pk=pk).first()
        if has_right(user, Right.COLLECT)
        else None
    )
    if statement is None:
        raise Http404("No statement found.")
    return statement


@login_required
def bank_statement_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The reconciliation of an imported statement: each line, the loan and the repayment it
    posted, or the one it had posted before."""
    statement = access_statement(request.user, pk)
    lines = (
        BankStatementLine.objects.filter(statement=statement)
        .select_related("loan", "repayment")
        .order_by("line")
    )
    outcome = request.GET.get("outcome", "")
    if outcome in {"matched", "duplicate"}:
        lines = lines.filter(outcome=outcome)
    page = Paginator(lines, settings.TANDIR_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "lending/bank/statement.html",
        {"statement": statement, "page": page, "outcome": outcome},
    )


@login_required
def disbursement_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A disbursement instruction as the partner bank processes it: CSV or XLSX."""
    if fmt not in files.FORMATS:
        raise Http404("No such format.")
    disbursement = files.access_disbursement(request.user, pk)
    return files.instruction_response(request.user, disbursement, fmt)
