"""Names and phones made comparable across scripts and spellings, for search and de-duplication.

Armenian, Cyrillic and Latin spellings of one person ("Պետրոսյան", "Петросян", "Petrosyan",
"Petrosian") fold to the same key: transliterate to ASCII, then fold the spelling variants
transliteration schemes disagree on.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from anyascii import anyascii

# Order matters: digraphs before single letters.
_FOLDS = [
    ("kh", "h"), ("gh", "g"), ("tz", "c"), ("ts", "c"), ("dz", "z"), ("zh", "j"),
    ("ch", "c"), ("sh", "s"), ("ou", "u"), ("yu", "iu"), ("ya", "ia"), ("y", "i"),
    ("w", "v"), ("q", "k"), ("x", "h"), ("j", "i"), ("h", ""),
    # Voiced and voiceless pairs swap between Eastern and Western Armenian and Russian spellings
    # (Grigor/Krikor, Sargsyan/Sarkisian).
    ("g", "k"), ("d", "t"), ("b", "p"),
]  # fmt: skip
# Spellings anyascii renders letter by letter but people write otherwise: Armenian "ու" is "u"
# (Լուսինե -> Lusine, not Lowsine), "և" is "ev"; Azerbaijani schwa is "a" in most Latin
# spellings of names (Məmmədov -> Mammadov).
_BEFORE_ANYASCII = [("ու", "u"), ("Ու", "U"), ("ՈՒ", "U"), ("և", "ev"), ("ə", "a"), ("Ə", "A")]
_NOT_LETTER = re.compile(r"[^a-z]+")
_REPEATS = re.compile(r"(.)\1+")
SIMILAR_NAME_RATIO = 0.85


def to_latin(text: str) -> str:
    """A readable Latin transliteration (for search and for lists in Latin script)."""
    for local, latin in _BEFORE_ANYASCII:
        text = text.replace(local, latin)
    return anyascii(text).strip()


def name_key(text: str) -> str:
    """A spelling-insensitive key: 'Hovhannes' and 'Ovanes', 'Петросян' and 'Petrosian' meet."""
    words = []
    for word in to_latin(text).lower().split():
        word = _NOT_LETTER.sub("", word)
        for old, new in _FOLDS:
            word = word.replace(old, new)
        word = _REPEATS.sub(r"\1", word)
        if word:
            words.append(word)
    return " ".join(words)


@lru_cache(maxsize=65536)
def _alike(a: str, b: str) -> bool:
    # Cached: an import compares the same common names with each other thousands of times.
    if a == b:
        return True
    matcher = SequenceMatcher(None, a, b)
    # The cheap upper bounds first: most pairs fail on length or letters alone.
    return (
        matcher.real_quick_ratio() >= SIMILAR_NAME_RATIO
        and matcher.quick_ratio() >= SIMILAR_NAME_RATIO
        and matcher.ratio() >= SIMILAR_NAME_RATIO
    )


def names_similar(key_a: str, key_b: str) -> bool:
    """Given names and surnames each alike: 'Anahit Petrosian' ~ 'Anait Petrosyan'.

    Compared apart, so a shared common surname alone ('Hrant' and 'Aram Avetisyan') is not enough.
    """
    if key_a == key_b:
        return True
    *given_a, surname_a = key_a.split() or [""]
    *given_b, surname_b = key_b.split() or [""]
    return _alike(surname_a, surname_b) and _alike(" ".join(given_a), " ".join(given_b))


def normalise_phone(raw: str) -> str:
    """Digits only, with a leading + kept: '+374 (91) 12-34-56' -> '+37491123456'."""
    raw = (raw or "").strip()
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return ""
    return ("+" if raw.startswith("+") or raw.startswith("00") else "") + digits.removeprefix(
        "00" if raw.startswith("00") else ""
    )
