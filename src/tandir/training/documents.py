"""The certificate of completion as PDF, in the participant's language.

Laid out by WeasyPrint with the Noto fonts (Armenian, Nastaliq Urdu right to left, the ֏ and ₼
signs), through lending's `write_pdf`, which fetches nothing from outside. The language is the
one asked for, else the person's preferred one if the registry keeps it, else the language of
the organisation's country.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from tandir.core import formatting
from tandir.lending.documents import document_language, write_pdf
from tandir.training.actions import COUNTRY_LANGUAGES
from tandir.training.models import Certificate, CourseModule, Participant

__all__ = ["certificate_html", "certificate_language", "certificate_pdf"]

# The sign of each programme currency as printed; Babel's symbol depends on the reader's locale
# (AMD in English), the certificate shows the sign the programme's people know.
CURRENCY_SIGNS = {"AMD": "֏", "AZN": "₼", "PKR": "₨", "RUB": "₽", "TRY": "₺", "USD": "$"}


def certificate_language(participant: Participant, requested: str | None = None) -> str:
    organization = participant.cohort.organization
    country = organization.country.code if organization.country_id else ""  # type: ignore[union-attr]
    return document_language(requested, COUNTRY_LANGUAGES.get(country, ""), participant.beneficiary)


def certificate_html(certificate: Certificate, language: str, verify_url: str) -> str:
    participant = certificate.participant
    cohort = participant.cohort
    course = cohort.course
    organization = cohort.organization
    modules = [
        part.module for part in CourseModule.objects.filter(course=course).select_related("module")
    ]
    trainers = [t.get_full_name() or t.username for t in cohort.trainers.order_by("last_name")]
    with translation.override(language):
        return render_to_string(
            "training/pdf/certificate.html",
            {
                "language": language,
                "direction": "rtl" if translation.get_language_bidi() else "ltr",
                "organization": organization,
                "person": participant.beneficiary,
                "course": course,
                "cohort": cohort,
                "modules": modules,
                "hours": formatting.number(sum((m.hours for m in modules), start=0)),
                "trainers": trainers,
                "institution": cohort.institution,
                "starts_on": formatting.date(cohort.starts_on, "long"),
                "ends_on": formatting.date(cohort.ends_on, "long"),
                "issued_on": formatting.date(certificate.issued_on, "long"),
                "printed_on": formatting.date(timezone.localdate(), "long"),
                "code": certificate.shown_code,
                "verify_url": verify_url,
                "currency": organization.currency,
                "currency_sign": CURRENCY_SIGNS.get(organization.currency, organization.currency),
            },
        )


def certificate_pdf(certificate: Certificate, language: str, verify_url: str) -> bytes:
    html = certificate_html(certificate, language, verify_url)
    return write_pdf(html)


def file_name(certificate: Certificate) -> str:
    return f"certificate-{certificate.code}.pdf"
