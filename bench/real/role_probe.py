"""Which wording of "is this file the step's output or its input?" does the model get right?

The runner asks it when a step's file was missing at the start and only checked to exist
(runner/owed.py): an output is then asked for by name, an input never made up. Probed on 13
steps, each with the answer a person would give:

    python -m bench.real.role_probe [--model qwen2.5-coder-1.5b]

starts the model's server as `bench.real` does, asks each wording at temperature 0 and prints
one line per step and the score of each wording. Results: bench/real/TUNING.md §22.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import httpx

from bench.real.run import Server

CASES: tuple[tuple[str, str, bool], ...] = (
    ("List the src folder and write the file names, one per line, into src/index.txt", "src/index.txt", True),
    (
        "Count the number of lines in all Python files in src directory and write it to py_count.txt",
        "py_count.txt",
        True,
    ),
    ("Count the lines of data.csv with wc -l and write the number to count.txt", "count.txt", True),
    ("Count the lines of data.csv with wc -l and write the number to count.txt", "data.csv", False),
    ("Read missing.txt to get the text to copy", "missing.txt", False),
    ("Write the text of missing.txt into copy.txt", "missing.txt", False),
    ("Write the text of missing.txt into copy.txt", "copy.txt", True),
    ("Read report.pdf", "report.pdf", False),
    ("Write a summary of report.pdf into summary.txt", "summary.txt", True),
    ("Write a summary of report.pdf into summary.txt", "report.pdf", False),
    ("Search the src folder for TODO and save the matching path in todo.txt", "todo.txt", True),
    ("Use the names in people.txt to fill greetings.txt", "people.txt", False),
    ("Use the names in people.txt to fill greetings.txt", "greetings.txt", True),
)
SYSTEM = "You sort the files of a step for a file assistant. Reply with one word."


def _make_or_read(step: str, path: str) -> str:
    return (
        f"Step: {step}\n\nDoes this step make the file {path}, or only read it? Reply MAKE if "
        f"the step writes {path}, or READ if {path} is only read."
    )


def _output_or_input(step: str, path: str) -> str:
    return (
        f"Step: {step}\n\nIs {path} an output of this step (the step writes it) or an input "
        f"(the step reads it)? Reply OUTPUT or INPUT."
    )


def _which_written(step: str, _path: str) -> str:
    return f"Step: {step}\n\nWhich file does this step write? Reply with its name only."


WORDINGS: dict[str, tuple[Callable[[str, str], str], Callable[[str, str], bool]]] = {
    "make-or-read": (
        _make_or_read,
        lambda reply, _p: "MAKE" in reply.upper() and "READ" not in reply.upper(),
    ),
    "output-or-input": (
        _output_or_input,
        lambda reply, _p: "OUTPUT" in reply.upper() and "INPUT" not in reply.upper(),
    ),
    "which-written": (_which_written, lambda reply, p: p.rsplit("/", 1)[-1] in reply),
}


def ask(url: str, user: str) -> str:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
    body = {"messages": messages, "temperature": 0, "max_tokens": 24}
    r = httpx.post(url.rstrip("/") + "/v1/chat/completions", json=body, timeout=120)
    return str(r.json()["choices"][0]["message"]["content"]).strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    args = parser.parse_args(argv)
    score = dict.fromkeys([*WORDINGS, "both"], 0)
    with Server(args.model, 4096) as server:
        for step, path, makes in CASES:
            said = {name: ask(server.url, build(step, path)) for name, (build, _m) in WORDINGS.items()}
            read = {name: WORDINGS[name][1](reply, path) for name, reply in said.items()}
            read["both"] = read["output-or-input"] and read["which-written"]
            for name, answer in read.items():
                score[name] += answer == makes
            shown = "  ".join(f"{n}={r!r}" for n, r in said.items())
            print(f"{'MAKE' if makes else 'READ'} {path:14} {shown}  both={read['both']} | {step[:50]}")
    print({name: f"{n} of {len(CASES)}" for name, n in score.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
