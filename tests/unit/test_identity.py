"""Phones and ID numbers: every way of writing one number gives the same stored form."""

from __future__ import annotations

import pytest

from tandir.registry.identity import NotAPhone, normalise_id_number, parse_phone, phone_digits


@pytest.mark.parametrize(
    "written",
    [
        "092000002",
        "+374 92 000002",
        "37492000002",  # an XLSX number cell: the plus is lost
        "00374 92 000002",
        "(092) 00-00-02",
        "٠٩٢٠٠٠٠٠٢",  # Arabic-Indic digits
        "۰۹۲۰۰۰۰۰۲",  # Extended Arabic-Indic (Urdu) digits
        "０９２０００００２",  # full-width digits
        "＋３７４９２０００００２",  # full-width plus
    ],
)
def test_one_armenian_number_however_written(written: str) -> None:
    assert parse_phone(written, "AM") == "+37492000002"


def test_the_branch_country_decides_numbers_without_a_country_code() -> None:
    assert parse_phone("0300 1234567", "PK") == "+923001234567"
    assert parse_phone("050 123 45 67", "AZ") == "+994501234567"
    # A number with its country code stays in its country whatever the branch's.
    assert parse_phone("+994 50 123 45 67", "AM") == "+994501234567"


@pytest.mark.parametrize(
    "not_a_phone",
    ["abcdefg", "+374 91 12ab34 56", "12345", "+", "091 123 456 789 012 345", "1-800-FLOWERS"],
)
def test_text_that_is_not_a_phone_is_refused_not_stripped(not_a_phone: str) -> None:
    with pytest.raises(NotAPhone):
        parse_phone(not_a_phone, "AM")


def test_an_empty_phone_stays_empty() -> None:
    assert parse_phone("  ", "AM") == ""


def test_search_digits_are_ascii_whatever_the_script() -> None:
    assert phone_digits("۰۹۲ ۰۰۰") == "092000"


@pytest.mark.parametrize(
    ("written", "document", "stored"),
    [
        ("am 123-4567", "national_id", "AM1234567"),
        (" AM 1234567 ", "national_id", "AM1234567"),
        ("AN.12.34.567", "passport", "AN1234567"),
        ("123-00012345", "refugee_id", "12300012345"),
        ("ab-12 34", "other", "AB-1234"),
        ("", "national_id", None),
    ],
)
def test_id_numbers_are_compared_without_case_spaces_or_dashes(
    written: str, document: str, stored: str | None
) -> None:
    assert normalise_id_number(written, document) == stored
