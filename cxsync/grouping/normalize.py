"""Text normalisation shared by every grouper: the same request typed differently compares equal.

`normalize` gives the compact key the exact grouper compares; `clean` keeps word boundaries and
replaces what carries no meaning for grouping (links, contact details, numbers) with placeholders.
"""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+\d{1,3}[ -]?)?\b0\d{1,2}[ -.]?\d{3,4}[ -.]?\d{4}\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NOT_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")

# Placeholders are Latin words so they survive the letter filter below and compare equal to each other.
URL_TOKEN = " zurlz "
EMAIL_TOKEN = " zemailz "
PHONE_TOKEN = " zphonez "
NUMBER_TOKEN = "0"


def normalize(text: str) -> str:
    """NFKC, case-folded, URLs and zero-width marks removed, punctuation/emoji/spacing dropped.

    Korean spacing varies freely ("엑셀로 받고" / "엑셀로받고"), so all whitespace is removed,
    which makes spacing variants identical.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _URL.sub(" ", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def clean(text: str) -> str:
    """Lower-case words separated by single spaces, for similarity.

    NFKC folds full-width and compatibility forms; links, e-mail addresses and phone numbers become
    placeholders (two requests that both paste a link are not alike because of it, and PII never
    reaches a feature); every number becomes `0` so "30분" and "10분" still share their unit;
    emoji and punctuation become spaces.
    """
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))
    # The cheap membership tests skip regexes most requests do not need.
    if "://" in text or "www." in text.lower():
        text = _URL.sub(URL_TOKEN, text)
    if "@" in text:
        text = _EMAIL.sub(EMAIL_TOKEN, text)
    if _DIGIT.search(text):
        text = _NUMBER.sub(NUMBER_TOKEN, _PHONE.sub(PHONE_TOKEN, text))
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())
