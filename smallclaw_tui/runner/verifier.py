"""The verifier question: a plain model call, no tools, that must answer YES or NO and cite evidence.

The runner then confirms the citation against the step's tool calls and results. A malformed
answer, a NO, or a YES whose quote is not really there all count as NO.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.models import ChatMessage, Role
from smallclaw_tui.runner.evidence import clean_quote, quote_found

SYSTEM = (
    "You check whether one step of a task was really done. Judge only from the tool results shown; "
    "what the worker says is a claim, not proof. Reply with exactly three lines:\n"
    "VERDICT: YES or NO\n"
    "EVIDENCE: an exact quote copied from the tool results that proves the step is done (or 'none')\n"
    "REASON: one short sentence"
)


@dataclass(frozen=True, slots=True)
class Verdict:
    yes: bool
    reason: str
    evidence: str = ""
    raw: str = ""
    asked: int = 1  # how many questions it took (a malformed answer is asked again once)


_LABEL_LINE = re.compile(r"^[\s>*_#-]*(verdict|evidence|reason)[\s*_]*[:=][\s*_]*", re.I | re.M)
_VERDICT = re.compile(r"verdict\s*[:=]\s*(yes|no)\b", re.I)
_EVIDENCE = re.compile(r"evidence\s*[:=]\s*(.+?)(?=\n\s*reason\s*[:=]|\Z)", re.I | re.S)
_REASON = re.compile(r"reason\s*[:=]\s*(.+)", re.I)
_STRICT = "Answer in exactly the three lines VERDICT / EVIDENCE / REASON, and copy the quote exactly."


def build_question(step: str, shown: list[str], claim: str, checks: list[str]) -> list[ChatMessage]:
    listed = "\n".join(f"- {s}" for s in shown[-12:]) or "- (no tool was called in this step)"
    parts = [f"Step: {step}", "", "Tool results of this step:", listed]
    if checks:
        parts += ["", "Checks run by the system:", *(f"- {c}" for c in checks)]
    parts += ["", f"The worker says: {claim.strip()[:600] or '(nothing)'}", "", "Was the step really done?"]
    return [
        ChatMessage(role=Role.SYSTEM, content=SYSTEM),
        ChatMessage(role=Role.USER, content="\n".join(parts)),
    ]


def parse_answer(raw: str) -> tuple[str | None, str, str]:
    """(YES/NO or None when malformed, evidence, reason)."""
    text = re.sub(r"<think>.*?</think>", "", raw, flags=re.S | re.I).strip()
    # Small models dress the labels up (**Evidence:**, "- Reason =", "### Verdict"): undress them.
    text = _LABEL_LINE.sub(lambda m: m.group(1) + ": ", text)
    try:
        obj = json.loads(text[text.index("{") : text.rindex("}") + 1]) if "{" in text else None
    except ValueError:
        obj = None
    if isinstance(obj, dict) and str(obj.get("verdict", "")).strip().upper() in ("YES", "NO"):
        return str(obj["verdict"]).strip().upper(), str(obj.get("evidence", "")), str(obj.get("reason", ""))
    m = _VERDICT.search(text)
    if m is None:
        first = text.split(None, 1)[0].strip(".,:*").upper() if text else ""
        verdict = first if first in ("YES", "NO") else None
    else:
        verdict = m.group(1).upper()
    ev = _EVIDENCE.search(text)
    rs = _REASON.search(text)
    return verdict, (ev.group(1).strip() if ev else ""), (rs.group(1).strip() if rs else "")


def _judge(raw: str, evidence_sources: list[str], require_evidence: bool) -> tuple[Verdict, bool]:
    """The verdict for one answer, and whether the answer was malformed (worth asking again)."""
    verdict, evidence, reason = parse_answer(raw)
    if verdict is None:
        return Verdict(False, "the verifier's answer was malformed (no YES/NO)", raw=raw), True
    if verdict == "NO":
        return Verdict(False, reason or "the verifier said NO", evidence, raw), False
    if not require_evidence:
        return Verdict(True, reason or "the verifier said YES", evidence, raw), False
    if not evidence or clean_quote(evidence).lower() in ("none", "n/a", ""):
        return Verdict(False, "the verifier said YES but cited no evidence", evidence, raw), True
    if not quote_found(evidence, evidence_sources):
        return Verdict(
            False, f"the cited evidence is not in the tool results: {evidence[:120]!r}", evidence, raw
        ), False
    return Verdict(True, reason or "verified", evidence, raw), False


async def ask(
    client: ModelClient,
    *,
    model: str | None,
    step: str,
    shown: list[str],
    evidence_sources: list[str],
    claim: str,
    checks: list[str],
    require_evidence: bool,
) -> Verdict:
    """Ask the YES/NO question; a malformed answer is the verifier's fault, so it is asked once more."""
    messages = build_question(step, shown, claim, checks)
    verdict = Verdict(False, "not asked")
    for attempt in (1, 2):
        result = await client.chat(messages, None, model=model, num_predict=200, think=False)
        verdict, malformed = _judge(result.text, evidence_sources + checks, require_evidence)
        verdict = Verdict(verdict.yes, verdict.reason, verdict.evidence, verdict.raw, attempt)
        if not malformed:
            return verdict
        messages = [
            *messages,
            ChatMessage(role=Role.ASSISTANT, content=result.text),
            ChatMessage(role=Role.USER, content=_STRICT),
        ]
    return verdict
