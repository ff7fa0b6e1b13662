"""The translation catalogues: complete, placeholder-safe, compiled, and used by the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client

from tests.factories import PASSWORD

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
LANGUAGES = ["hy", "az", "ru", "tr", "ur"]
PLURAL_FORMS = {
    "hy": "nplurals=2; plural=(n != 1);",
    "az": "nplurals=2; plural=(n != 1);",
    "ru": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    ),
    "tr": "nplurals=2; plural=(n != 1);",
    "ur": "nplurals=2; plural=(n != 1);",
}
# One word for the people served, throughout the interface: participants.
PARTICIPANTS = {
    "hy": "Մասնակիցներ",
    "az": "İştirakçılar",
    "ru": "Участники",
    "tr": "Katılımcılar",
    "ur": "شرکت کنندگان",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[sdifr]|%[sdif]")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def load_po(lang: str) -> Catalog:
    with po_path(lang).open("rb") as po_file:
        return read_po(po_file, locale=lang)


def messages(catalog: Catalog) -> list:
    return [message for message in catalog if message.id]


def as_text(string: str | tuple | list | None) -> str | tuple | None:
    return tuple(string) if isinstance(string, (list, tuple)) else string


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_and_not_fuzzy(lang):
    catalog = load_po(lang)
    assert not catalog.fuzzy, f"{lang}: the header is still marked fuzzy"
    assert catalog.locale_identifier == lang
    assert catalog.plural_forms == PLURAL_FORMS[lang]
    entries = messages(catalog)
    assert len(entries) > 100
    untranslated = [
        m.id for m in entries if not m.string or (isinstance(m.string, tuple) and not all(m.string))
    ]
    assert not untranslated, f"{lang}: untranslated {untranslated}"
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy {fuzzy}"
    assert "#, fuzzy" not in po_path(lang).read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_and_plural_forms_match(lang):
    catalog = load_po(lang)
    wrong = []
    for message in messages(catalog):
        if message.pluralizable:
            singular, plural = message.id
            assert len(message.string) == catalog.num_plurals, (lang, singular)
            expected = sorted(set(placeholders(singular)) | set(placeholders(plural)))
            for form in message.string:
                if sorted(set(placeholders(form))) != expected:
                    wrong.append((singular, form))
        elif placeholders(message.string) != placeholders(message.id):
            wrong.append((message.id, message.string))
    assert not wrong, f"{lang}: placeholders differ in {wrong}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(lang):
    catalog = load_po(lang)
    mo_path = po_path(lang).with_suffix(".mo")
    assert mo_path.exists(), f"{lang}: run `tandir compilemessages`"
    with mo_path.open("rb") as mo_file:
        compiled = read_mo(mo_file)
    stale = []
    for message in messages(catalog):
        in_mo = compiled.get(message.id)
        if in_mo is None or as_text(in_mo.string) != as_text(message.string):
            stale.append(message.id)
    assert not stale, f"{lang}: .mo is out of date, run `tandir compilemessages`: {stale}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_beneficiary_list_renders_in_the_chosen_language(world, lang):
    client = Client()
    assert client.login(username=world.intake_a.username, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    page = client.get("/beneficiaries/")
    assert page.status_code == 200
    html = page.content.decode()
    assert PARTICIPANTS[lang] in html
    assert f'lang="{lang}"' in html
    direction = "rtl" if lang == "ur" else "ltr"
    assert re.search(rf'<html[^>]*\bdir="{direction}"', html), f"{lang}: <html> is not {direction}"
