"""Phones and ID numbers in one form, so the same person's number compares equal however typed.

Phones are parsed with `phonenumbers` (Google's libphonenumber) and stored in E.164: with the
branch's country as the default region, `092000002`, `+374 92 000002`, `37492000002` (an XLSX
number cell that lost its plus) and the same digits in Arabic-Indic, Urdu or full-width script
are all `+37492000002`. Anything else that is not a phone is refused rather than silently
stripped: letters are not read as a keypad's digits.

ID numbers are normalised by the kind of document they come from (case, spaces, dashes and dots
carry no meaning on national ID cards, passports or refugee documents).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult


class NotAPhone(ValueError):
    """The text is not a phone number."""


# After folding digits of any script to ASCII: digits with the usual separators, an optional
# leading plus, nothing else (no letters, no extension marks).
_PHONE_SHAPE = re.compile(r"^\+?[(]?[0-9][0-9 \-().\u00a0/]*$")


def _ascii_digits(text: str) -> str:
    # NFKC folds full-width digits and plus signs; `unicodedata.digit` reads Arabic-Indic and
    # Extended Arabic-Indic (Urdu) digits.
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)


def parse_phone(raw: str, region: str | None) -> str:
    """The phone in E.164 (`+37492000002`), or "" for an empty one; `NotAPhone` otherwise.

    `region` is the ISO country code numbers without a country code belong to (the branch's).
    """
    text = _ascii_digits((raw or "").strip())
    if not text:
        return ""
    if not _PHONE_SHAPE.match(text):
        raise NotAPhone(raw)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except NumberParseException as exc:
        raise NotAPhone(raw) from exc
    # "Possible" (the right length for the country), not "valid": a new number range must not
    # be refused because the library's metadata has not heard of it yet.
    if phonenumbers.is_possible_number_with_reason(number) != ValidationResult.IS_POSSIBLE:
        raise NotAPhone(raw)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_digits(text: str) -> str:
    """The digits of a search text in ASCII, for finding phones that contain them."""
    return re.sub(r"[^0-9]", "", _ascii_digits(text or ""))


# What is ignored when comparing ID numbers, by document kind (registry `IdDocument` values).
_ID_NOISE = {
    "national_id": re.compile(r"[\s\-./]"),
    "passport": re.compile(r"[\s\-./]"),
    "refugee_id": re.compile(r"[\s\-./]"),
    "other": re.compile(r"\s"),
}


def normalise_id_number(raw: str | None, document: str = "national_id") -> str | None:
    """The ID number as compared and stored: upper case, without the document kind's noise."""
    text = unicodedata.normalize("NFKC", (raw or "").strip())
    text = _ID_NOISE.get(document, _ID_NOISE["other"]).sub("", text).upper()
    return text or None
