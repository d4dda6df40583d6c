"""Text normalisation shared by every grouper: the same request typed differently compares equal."""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def normalize(text: str) -> str:
    """NFKC, case-folded, URLs and zero-width marks removed, punctuation/emoji/spacing dropped.

    Korean spacing varies freely ("엑셀로 받고" / "엑셀로받고"), so all whitespace is removed,
    which makes spacing variants identical.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _URL.sub(" ", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")
