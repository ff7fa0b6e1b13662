"""An instrument version as an XLSForm (ODK Collect, KoboToolbox): `survey`, `choices` and
`settings` sheets, written with XlsxWriter.

The form asks `beneficiary` (national ID or phone) and `date` first, then one row per question
under its code, so the submissions it collects come back through `impact.imports` with the
columns Tandir reads. Ranges become constraints; choices become `select_one` lists named after
the question's code.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils.translation import gettext as _

from tandir.impact.models import InstrumentVersion, Question, QuestionType

SURVEY_COLUMNS = ["type", "name", "label", "required", "constraint", "constraint_message"]
XLSFORM_TYPES = {
    QuestionType.NUMBER: "integer",
    QuestionType.MONEY: "decimal",
    QuestionType.SCALE: "integer",
    QuestionType.DATE: "date",
    QuestionType.TEXT: "text",
}


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def constraint(question: Question) -> tuple[str, str]:
    """The XLSForm constraint of a question's range, and its message."""
    low, high = question.min_value, question.max_value
    if question.type not in (QuestionType.NUMBER, QuestionType.MONEY, QuestionType.SCALE):
        return "", ""
    if low is not None and high is not None:
        return (
            f". >= {_plain(low)} and . <= {_plain(high)}",
            _("From %(low)s to %(high)s") % {"low": _plain(low), "high": _plain(high)},
        )
    if low is not None:
        return f". >= {_plain(low)}", _("At least %(low)s") % {"low": _plain(low)}
    if high is not None:
        return f". <= {_plain(high)}", _("At most %(high)s") % {"high": _plain(high)}
    return "", ""


def survey_rows(questions: list[Question]) -> list[list[str]]:
    rows = [
        ["text", "beneficiary", _("National ID or phone of the participant"), "yes", "", ""],
        [
            "date",
            "date",
            _("Date of the interview"),
            "yes",
            ". <= today()",
            _("The date cannot be in the future"),
        ],
    ]
    for question in questions:
        if question.type == QuestionType.CHOICE:
            kind = f"select_one {question.code}"
        else:
            kind = XLSFORM_TYPES[QuestionType(question.type)]
        rule, message = constraint(question)
        rows.append(
            [kind, question.code, question.label, "yes" if question.required else "", rule, message]
        )
    return rows


def choice_rows(questions: list[Question]) -> list[list[str]]:
    return [
        [question.code, str(choice["name"]), str(choice.get("label") or choice["name"])]
        for question in questions
        if question.type == QuestionType.CHOICE
        for choice in question.choices
    ]


def filename(version: InstrumentVersion) -> str:
    return f"{version.instrument.code}-v{version.number}.xlsx"


def xlsform(version: InstrumentVersion) -> bytes:
    """The version's XLSForm workbook."""
    questions = list(version.questions.order_by("position"))
    buffer = io.BytesIO()
    book: Any = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})

    def sheet(name: str, header: list[str], rows: list[list[str]]) -> None:
        page = book.add_worksheet(name)
        page.write_row(0, 0, header, bold)
        for index, row in enumerate(rows, start=1):
            page.write_row(index, 0, row)
        page.set_column(0, len(header) - 1, 24)

    sheet("survey", SURVEY_COLUMNS, survey_rows(questions))
    sheet("choices", ["list_name", "name", "label"], choice_rows(questions))
    sheet(
        "settings",
        ["form_id", "version", "form_title"],
        [[version.instrument.code, str(version.number), version.instrument.name]],
    )
    book.close()
    return buffer.getvalue()
