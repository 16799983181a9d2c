"""Can the model tell a right end state from a wrong one? The goal review, measured on its own.

Every held-out task has a correct end state (:data:`bench.reliability.heldout.RIGHT`) and several
lazy-wrong ones that real small models produced or could (:data:`~bench.reliability.heldout.WRONG`).
Each is turned into the unified diff a task would leave, and the model is asked a one-word
question about it. What is recorded is not only the answer but the probability the model gave to
YES against NO at the answer token (OpenAI-compatible ``logprobs``), so that a judge that always
says YES (Qwen2.5-Coder-1.5B said YES to "Is 2+2=5?") shows up as overlapping distributions.

    python -m bench.real.judge_probe --url http://127.0.0.1:PORT [--ask fits|wrong|after]

Prints one line per end state and the separation: the share of (right, wrong) pairs where the
right one got the higher P(YES) (0.5 is chance, 1.0 a perfect ranking).
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import sys
from collections.abc import Mapping, Sequence

import httpx

from bench.reliability.heldout import BY_ID, RIGHT, WRONG

SYSTEM = (
    "You review a change to files against the goal a user gave. The diff shows everything that "
    "changed: lines starting with - were removed, lines starting with + were added. "
    "Answer with one word: YES or NO."
)
ASKS = {
    "fits": "Does this change do exactly what the goal asks, and nothing else?",
    "wrong": "Is something wrong with this change: a part of the goal it does not do, or a change "
    "the goal did not ask for?",
}


def diff_of(before: Mapping[str, str], change: Mapping[str, str | None]) -> str:
    out: list[str] = []
    for path in sorted(change):
        old = before.get(path)
        new = change[path]
        out += difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=f"a/{path}" if old is not None else "/dev/null",
            tofile=f"b/{path}" if new is not None else "/dev/null",
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out) or "(no file was changed)\n"


def after_text(before: Mapping[str, str], change: Mapping[str, str | None]) -> str:
    parts = []
    for path in sorted(change):
        new = change[path]
        parts.append(f"{path} before:\n{before.get(path, '(did not exist)')}\n{path} after:\n{new}")
    return "\n".join(parts) or "(no file was changed)"


def p_yes(url: str, goal: str, shown: str, ask: str, model: str) -> tuple[float, str]:
    body = {
        "model": model,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Goal: {goal}\n\nThe change:\n{shown}\n{ask}"},
        ],
        "max_tokens": 2,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 10,
    }
    r = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=300)
    r.raise_for_status()
    choice = r.json()["choices"][0]
    top = choice["logprobs"]["content"][0]["top_logprobs"]
    yes = sum(math.exp(t["logprob"]) for t in top if t["token"].strip().upper() == "YES")
    no = sum(math.exp(t["logprob"]) for t in top if t["token"].strip().upper() == "NO")
    return (yes / (yes + no) if yes + no else 0.5), choice["message"]["content"]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.real.judge_probe")
    p.add_argument("--url", required=True)
    p.add_argument("--model", default="qwen2.5-coder-1.5b")
    p.add_argument("--ask", choices=["fits", "wrong"], default="fits")
    p.add_argument("--show", choices=["diff", "after"], default="diff")
    p.add_argument("--tasks", default="", help="ids, comma-separated (default: all with a right end state)")
    p.add_argument("--out", help="write the rows as JSON here")
    ns = p.parse_args(argv)
    ids = [i for i in (ns.tasks.split(",") if ns.tasks else RIGHT) if RIGHT.get(i)]
    rows = []
    for tid in ids:
        task = BY_ID[tid]
        cases = [("right", RIGHT[tid]), *((f"wrong: {k}", v) for k, v in WRONG.get(tid, {}).items())]
        for label, change in cases:
            shown = diff_of(task.files, change) if ns.show == "diff" else after_text(task.files, change)
            prob, said = p_yes(ns.url, task.goal, shown, ASKS[ns.ask], ns.model)
            # Asked whether something is wrong, YES means wrong: keep "P(the change is right)".
            right_p = prob if ns.ask == "fits" else 1 - prob
            rows.append({"task": tid, "case": label, "p_right": round(right_p, 3), "said": said})
            print(f"{tid:16} {label:34} P(right)={right_p:.3f} said={said!r}", flush=True)
    pairs = wins = 0
    for tid in ids:
        right = [r["p_right"] for r in rows if r["task"] == tid and r["case"] == "right"]
        for r in rows:
            if r["task"] == tid and r["case"] != "right":
                pairs += 1
                wins += (right[0] > r["p_right"]) + 0.5 * (right[0] == r["p_right"])
    print(f"ranking: right above wrong in {wins}/{pairs} pairs ({wins / max(pairs, 1):.2f})")
    if ns.out:
        with open(ns.out, "w", encoding="utf-8") as f:
            json.dump({"ask": ns.ask, "show": ns.show, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
