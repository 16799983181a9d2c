"""Does a quote the verifier cited really appear in what the tools reported?

Matching is loose on purpose — whitespace and case are normalized, and labels that our own prompt
added (`tool_result:`, `[write_file]`, surrounding quotes) are ignored — but an invented quote never
matches. The model's own words are not evidence: only tool calls and tool results are searched.
"""

from __future__ import annotations

import re

_LABEL = re.compile(
    r"^\s*(?:[-*>•]\s*)?(?:(?:tool[_ ]?(?:result|call|output)|result|output|evidence|journal)\s*[:\-]\s*)+",
    re.I,
)
_BRACKET_LABEL = re.compile(r"^\s*\[[a-z_]+(?:\s+(?:ok|error|failed))?\]\s*", re.I)
_QUOTES = "\"'`“”‘’«»*_"
MIN_QUOTE_CHARS = 4


def normalize(text: str) -> str:
    return " ".join(text.casefold().split())


def clean_quote(quote: str) -> str:
    q = quote.strip()
    for _ in range(3):
        q = _LABEL.sub("", q)
        q = _BRACKET_LABEL.sub("", q)
        q = q.strip().strip(_QUOTES).strip().rstrip(".").strip()
    return q


def quote_found(quote: str, sources: list[str]) -> bool:
    """True when the cleaned quote (or each of its `...`-separated pieces) occurs in one source."""
    q = clean_quote(quote)
    pieces = [normalize(p) for p in re.split(r"\s*(?:\.\.\.|…)\s*", q) if p.strip()]
    if not pieces or sum(len(p) for p in pieces) < MIN_QUOTE_CHARS:
        return False
    haystacks = [normalize(s) for s in sources]
    return any(all(p in h for p in pieces) for h in haystacks)
