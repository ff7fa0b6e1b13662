"""The business plan as a real PDF read back with pypdf, in Armenian and in Urdu."""

from __future__ import annotations

import io
import re
from typing import Any

from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tandir.lending.models import Loan
from tandir.plans import actions, documents
from tandir.plans.models import BusinessPlan
from tests.factories import register
from tests.plans.factories import Plans, bakery


def text_of(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"[\u00a0\u202f]", " ", text)


def fonts_of(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in (resources.get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def test_an_armenian_plan_prints_in_armenian_with_drams(plans: Plans) -> None:
    person = register(
        plans.world, first_name="Անահիտ", last_name="Պետրոսյան", national_id="AM3333333",
        phone="+374 91 333333",
    )  # fmt: skip
    plan = actions.create_plan(plans.advisor, person, title="Լավաշի փուռ", content=bakery())
    client = Client()
    client.force_login(plans.advisor)
    response = client.get(reverse("plans:pdf", args=[plan.pk]) + "?lang=hy")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.headers["Content-Language"] == "hy"
    reader, text = text_of(response.content)
    assert "Լավաշի փուռ" in text
    assert "Անահիտ Պետրոսյան" in text
    assert "1 000 000 ֏" in text  # the loan needed, as Armenian writes drams
    assert "300 000 ֏" in text  # the net monthly cash flow
    assert any("Armenian" in font for font in fonts_of(reader))


def test_an_urdu_plan_is_right_to_left_in_nastaliq(plans: Plans) -> None:
    plan = actions.create_plan(plans.advisor, plans.person, title="Bakery", content=bakery())
    plan = BusinessPlan.objects.select_related("beneficiary", "branch", "organization").get(
        pk=plan.pk
    )
    html = documents.plan_html(plans.advisor, plan, "ur")
    assert 'dir="rtl"' in html and 'lang="ur"' in html
    reader, text = text_of(documents.write_pdf(html))
    assert "1,000,000" in text  # Urdu writes Latin digits with Latin separators
    assert any("Nastaliq" in f for f in fonts_of(reader))
    assert Loan.objects.count() == 0
