"""The donor report's files read back: the XLSX with openpyxl (headers, number formats,
values, the definitions column), the PDF with pypdf (text, Armenian and Urdu with their fonts,
right to left), and the worker's run of a long report with its progress page and download."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from tandir.jobs.management.commands.worker import run_burst
from tandir.reports import actions, documents
from tandir.reports.donor import donor_report
from tandir.reports.models import ReportRun, ReportStatus
from tests.factories import World
from tests.reports.donor_factories import Project, build_project

D = Decimal


@pytest.fixture
def project(world: World) -> Project:
    return build_project(world)


def text_of(reader: PdfReader) -> str:
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\u00a0\u202f]", " ", text)


def fonts_of(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():  # type: ignore[index]
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def test_the_workbook_has_formatted_headers_number_formats_values_and_definitions(
    project: Project,
) -> None:
    start, end = project.period
    with translation.override("en"):
        report = donor_report(project.world.project, start, end)
        data = documents.donor_xlsx(report)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Headline", "Amounts", "Sex", "Target group", "District", "Branch"]
    sheet = book["Headline"]
    headers = [cell.value for cell in sheet[4]]
    assert headers == [
        "Indicator",
        "Value",
        "Unit",
        "Numerator",
        "Denominator",
        "Due",
        "Answered",
        "Definition",
    ]
    assert all(cell.font.bold for cell in sheet[4])
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=5)}
    completed = rows["Completed training"]
    assert completed[1].value == 2 and completed[1].number_format == "#,##0"
    assert "training place was completed" in completed[7].value
    amount = rows["Amount disbursed"]
    assert amount[1].value == 3000 and amount[1].number_format == "#,##0.00"
    assert amount[2].value == "USD"
    cumulative = rows["Cumulative repayment rate"]
    assert cumulative[1].value == pytest.approx(0.5)
    assert cumulative[1].number_format == "0.00%"
    assert (cumulative[3].value, cumulative[4].value) == (1500, 3000)
    income = rows["Higher income reported"]
    assert income[1].value == pytest.approx(0.5)
    assert (income[5].value, income[6].value) == (3, 2)  # due, answered
    sex = book["Sex"]
    assert [c.value for c in sex[1]][:5] == [
        "Sex",
        "Registered",
        "Completed training",
        "Borrowers",
        "Loans disbursed",
    ]
    female = next(row for row in sex.iter_rows(min_row=2) if row[0].value == "Female")
    assert female[5].value == 2000 and female[5].number_format == "#,##0.00"


def test_the_pdf_prints_figures_and_definitions_in_armenian_and_in_urdu(project: Project) -> None:
    start, end = project.period
    world_project = project.world.project
    world_project.name = "Ինքնաբավություն"
    world_project.save()
    with translation.override("hy"):
        report = donor_report(world_project, start, end)
        armenian = PdfReader(io.BytesIO(documents.donor_pdf(report)))
    text = text_of(armenian)
    assert "Ինքնաբավություն" in text
    with translation.override("hy"):
        completed = translation.gettext("Completed training")
    assert completed != "Completed training" and completed in text
    assert "66,67" in text or "66.67" in text
    assert any("Armenian" in font for font in fonts_of(armenian))

    world_project.name = "خود انحصاری"
    # A code beginning with digits keeps its order on a right-to-left page.
    world_project.code = "2026-SR1"
    world_project.save()
    with translation.override("ur"):
        report = donor_report(world_project, start, end)
        html = documents.donor_html(report)
        urdu = PdfReader(io.BytesIO(documents.donor_pdf(report)))
    assert 'dir="rtl"' in html and 'lang="ur"' in html
    assert any("Nastaliq" in font for font in fonts_of(urdu))
    assert "2026-SR1" in text_of(urdu)


@pytest.mark.django_db(transaction=True)
def test_a_long_report_is_made_by_the_worker_with_its_progress_then_downloaded(
    world: World,
) -> None:
    project = build_project(world)
    start, end = project.period
    me = world.me_officer
    run = actions.request_donor_report(
        me, world.project, date_from=start, date_to=end, currency="USD", format="xlsx"
    )
    assert run.status == ReportStatus.QUEUED
    client = Client()
    client.force_login(me)
    waiting = client.get(f"/reports/runs/{run.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in waiting and 'value="0"' in waiting

    assert run_burst() == 1

    run = ReportRun.objects.get(pk=run.pk)
    assert (run.status, run.progress) == (ReportStatus.FINISHED, 100)
    page = client.get(f"/reports/runs/{run.pk}/").content.decode()
    assert "hx-trigger" not in page and f"/reports/runs/{run.pk}/download/" in page
    download = client.get(f"/reports/runs/{run.pk}/download/")
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))  # type: ignore[attr-defined]
    assert book["Headline"]["A1"].value.startswith("Donor report")
    # Only the person who asked opens the run: it holds what they may see.
    other = Client()
    other.force_login(world.manager_a)
    assert other.get(f"/reports/runs/{run.pk}/").status_code == 404

    # A report needing a rate nobody recorded fails with a message that says which.
    failing = actions.request_donor_report(
        me, world.project, date_from=start, date_to=end, currency="EUR", format="pdf"
    )
    assert run_burst() == 1
    failing = ReportRun.objects.get(pk=failing.pk)
    assert failing.status == ReportStatus.FAILED
    assert "USD to EUR" in failing.error and "Nov 15, 2025" in failing.error
    assert failing.error in client.get(f"/reports/runs/{failing.pk}/").content.decode()
