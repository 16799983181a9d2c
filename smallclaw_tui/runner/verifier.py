"""The verifier question: a plain model call, no tools, that must answer YES or NO and cite evidence.

Each tool result of the step (with the call that produced it), each file it wrote as it is now,
and each passing check is shown on a labelled line (`R1`, `F1`, `C1`). The verifier cites a
label, a quote, or both; the runner then confirms the citation: a label must name a successful
result, a file that exists, or a passing check; a quote must occur in one. Small models copy a
label far more reliably than a quote, and a label can only point at lines the runner itself
wrote, so it is no weaker. A malformed answer, a NO, or a YES whose citation is not really there
all count as NO.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from smallclaw_tui.llm.base import ModelClient
from smallclaw_tui.models import ChatMessage, Role
from smallclaw_tui.runner.evidence import clean_quote, quote_found

# The answer template's placeholders: a model that echoes them has cited nothing (_echoes_template).
_TEMPLATE_EVIDENCE = "the label of the line that proves"
_TEMPLATE_REASON = "one short sentence"
SYSTEM = (
    "You check whether one step of a task was really done. Judge only from the tool results and "
    "checks shown; what the worker says is a claim, not proof. Reply with exactly three lines:\n"
    "VERDICT: YES or NO\n"
    f"EVIDENCE: {_TEMPLATE_EVIDENCE} the step is done (like R1, F1 or C1) "
    "and a short quote from it, or 'none'\n"
    f"REASON: {_TEMPLATE_REASON}"
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One labelled line shown to the verifier. Only `ok` lines can support a YES."""

    label: str
    text: str
    ok: bool


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
# A label, not the start of a file name (`f1.txt`) or a word (`c1ass`).
_CITED_LABEL = re.compile(r"(?<![\w./-])([RFC])\s?(\d{1,3})(?![\w/-]|\.\w)", re.I)
_LEADING_LABELS = re.compile(r"^(?:[\s,;:(\[]*[RFC]\s?\d{1,3}[\s)\]]*[:,;-]?)+", re.I)
_STRICT = (
    "Answer in exactly the three lines VERDICT / EVIDENCE / REASON; the evidence is a label "
    "shown above (like R1) and a short quote from that line."
)
MAX_SHOWN = 12


def result_lines(pairs: list[tuple[str, str, bool]]) -> list[Evidence]:
    """(call text, result text, ok) in the order they happened → labelled lines R1, R2, …"""
    out: list[Evidence] = []
    for n, (call, result, ok) in enumerate(pairs[-MAX_SHOWN:], start=1):
        text = f"{call} → {result}" if call else result
        out.append(Evidence(f"R{n}", text, ok))
    return out


def check_lines(passed: list[str]) -> list[Evidence]:
    return [Evidence(f"C{n}", f"check passed: {d}", True) for n, d in enumerate(passed, start=1)]


def file_lines(files: list[tuple[str, str | None]], max_chars: int = 400) -> list[Evidence]:
    """(path, text now or None when gone) of the files the step wrote → F1, F2, …

    The runner reads them itself after the step, so they show what the step really left — the
    one thing a "wrote 17 bytes" result does not (an item replaced instead of added)."""
    out: list[Evidence] = []
    for n, (path, text) in enumerate(files, start=1):
        if text is None:
            out.append(Evidence(f"F{n}", f"{path} does not exist now", False))
            continue
        cut = len(text) - max_chars
        shown = text if cut <= 0 else text[:max_chars] + f" … [{cut} chars cut]"
        out.append(Evidence(f"F{n}", f"{path} now holds: {shown!r}", True))
    return out


def question_text(
    step: str,
    results: list[Evidence],
    checks: list[Evidence],
    claim: str,
    files: list[Evidence] | None = None,
) -> str:
    listed = [f"- {e.label}{'' if e.ok else ' (failed)'}: {e.text}" for e in results]
    parts = [f"Step: {step}", "", "Tool results of this step:"]
    parts += listed or ["- (no tool was called in this step)"]
    if files:
        parts += ["", "Files this step wrote, as they are now:", *(f"- {f.label}: {f.text}" for f in files)]
    if checks:
        parts += ["", "Checks run by the system:", *(f"- {c.label}: {c.text}" for c in checks)]
    parts += ["", f"The worker says: {claim.strip()[:600] or '(nothing)'}", "", "Was the step really done?"]
    return "\n".join(parts)


def build_question(
    step: str,
    results: list[Evidence],
    checks: list[Evidence],
    claim: str,
    files: list[Evidence] | None = None,
) -> list[ChatMessage]:
    return [
        ChatMessage(role=Role.SYSTEM, content=SYSTEM),
        ChatMessage(role=Role.USER, content=question_text(step, results, checks, claim, files)),
    ]


# Sends one more user turn of a conversation it keeps, and returns the model's reply.
Asker = Callable[[str], Awaitable[str]]

# The question asked inside the step's own conversation (`runner.verify_in_step`): the
# verifier's instructions open the user turn, since the system message is the worker's.
IN_STEP_HEAD = "Now stop working and check, as a strict reviewer. " + SYSTEM


def asked_after_worker(user_texts: Iterable[str]) -> bool:
    """Is a request with these user messages the verifier's question put after the worker's own
    prefix (`runner.verify_in_step`, `runner.verify_shared_prefix`)? A re-ask after a malformed
    answer follows the question in the same conversation, so any of them counts, not the last."""
    return any(text.startswith(IN_STEP_HEAD) for text in user_texts)


# The verifier's answer is three short lines.
ANSWER_TOKENS = 200


def conversation_asker(client: ModelClient, messages: list[ChatMessage], model: str | None = None) -> Asker:
    """Questions appended to `messages` (kept, so that a re-ask follows the first answer)."""

    async def send(text: str) -> str:
        messages.append(ChatMessage(role=Role.USER, content=text))
        result = await client.chat(messages, None, model=model, num_predict=ANSWER_TOKENS, think=False)
        messages.append(ChatMessage(role=Role.ASSISTANT, content=result.text))
        return result.text

    return send


def fresh_asker(client: ModelClient, model: str | None) -> Asker:
    """A conversation of its own: the verifier's system message, then the questions."""
    return conversation_asker(client, [ChatMessage(role=Role.SYSTEM, content=SYSTEM)], model)


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


def citation_holds(evidence: str, lines: list[Evidence]) -> tuple[bool, str]:
    """Does the citation point at a successful result or passing check? (holds, why not)"""
    by_label = {e.label: e for e in lines}
    cited = [f"{k.upper()}{n}" for k, n in _CITED_LABEL.findall(evidence)]
    known = [by_label[c] for c in cited if c in by_label]
    if any(e.ok for e in known):
        return True, ""
    quote = _LEADING_LABELS.sub("", evidence).strip()
    if quote and quote_found(quote, [e.text for e in lines if e.ok]):
        return True, ""
    if known:
        return False, f"the cited {', '.join(e.label for e in known)} failed, so it proves nothing"
    return False, f"the cited evidence is not in the tool results: {evidence[:120]!r}"


def _echoes_template(evidence: str, reason: str) -> bool:
    """Did the answer fill its lines with the instructions' own words? (Only the template's
    placeholders: a real reason may well share words with the instructions.)"""
    said = " ".join(evidence.split()).lower()
    why = " ".join(reason.split()).strip(" .").lower()
    return _TEMPLATE_EVIDENCE in said or why == _TEMPLATE_REASON


def _judge(raw: str, lines: list[Evidence], require_evidence: bool) -> tuple[Verdict, bool]:
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
    if _echoes_template(evidence, reason):
        # The 0.5B answered with the instructions' own words ("the label … (like R1, F1 or C1)"):
        # the R1 in the example is not a citation.
        return Verdict(False, "the verifier repeated the answer template", evidence, raw), True
    holds, why = citation_holds(evidence, lines)
    if not holds:
        return Verdict(False, why, evidence, raw), False
    return Verdict(True, reason or "verified", evidence, raw), False


async def ask(
    client: ModelClient,
    *,
    model: str | None,
    step: str,
    results: list[Evidence],
    checks: list[Evidence],
    claim: str,
    require_evidence: bool,
    files: list[Evidence] | None = None,
    asker: Asker | None = None,
) -> Verdict:
    """Ask the YES/NO question; a malformed answer is the verifier's fault, so it is asked once more.
    `asker`: put the question to an existing conversation (the step's own, whose prefix the
    server has cached) instead of a fresh one with the verifier's system message."""
    files = files or []
    question = question_text(step, results, checks, claim, files)
    send = asker or fresh_asker(client, model)
    text = question if asker is None else f"{IN_STEP_HEAD}\n\n{question}"
    verdict = Verdict(False, "not asked")
    for attempt in (1, 2):
        raw = await send(text)
        verdict, malformed = _judge(raw, results + files + checks, require_evidence)
        verdict = Verdict(verdict.yes, verdict.reason, verdict.evidence, verdict.raw, attempt)
        if not malformed:
            return verdict
        text = _STRICT
    return verdict
