"""What llama-cpp-python's server log says about each request: the token counts its stream omits.

The server sends no ``usage`` in a streamed reply, so the prompt size of a round cannot be read
from the wire. Its verbose log has it, per completion, in this order::

    Llama.generate: 412 prefix-match hit, remaining 96 prompt tokens to eval   (absent on the first)
    llama_perf_context_print: prompt eval time =  1086.90 ms /   96 tokens (...)
    llama_perf_context_print:        eval time =  3164.99 ms /   37 runs   (...)
    llama_perf_context_print:       total time =  6476.58 ms /  133 tokens

Requests are served one at a time, so the records read after a call finished are that call's.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

_PREFIX = re.compile(r"Llama\.generate: (\d+) prefix-match hit, remaining (\d+) prompt tokens to eval")
_PROMPT = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
_EVAL = re.compile(r"^llama_perf_context_print:\s+eval time =\s*([\d.]+) ms /\s*(\d+) runs", re.M)
_TOTAL = re.compile(r"total time =\s*([\d.]+) ms")


@dataclass(frozen=True, slots=True)
class Completion:
    prompt_tokens: int  # the whole prompt: cached prefix + evaluated
    evaluated_tokens: int  # the part the server had to process (not in its prefix cache)
    completion_tokens: int
    prompt_ms: float
    eval_ms: float


class ServerLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = path.stat().st_size if path.exists() else 0
        self._pending_prefix: tuple[int, int] | None = None

    def take(self, expect: int = 1, wait_s: float = 1.0) -> list[Completion]:
        """Completions logged since the last call; waits briefly for the server to flush."""
        out: list[Completion] = []
        deadline = time.monotonic() + wait_s
        while True:
            out += self._read()
            if len(out) >= expect or time.monotonic() >= deadline:
                return out
            time.sleep(0.05)

    def _read(self) -> list[Completion]:
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return []
        # Only whole lines; a record cut mid-write is read next time.
        end = data.rfind(b"\n") + 1
        self._offset += end
        text = data[:end].decode("utf-8", "replace")
        out: list[Completion] = []
        prompt: tuple[float, int] | None = None
        evals: tuple[float, int] | None = None
        for line in text.splitlines():
            if m := _PREFIX.search(line):
                self._pending_prefix = (int(m.group(1)), int(m.group(2)))
            elif m := _PROMPT.search(line):
                prompt = (float(m.group(1)), int(m.group(2)))
            elif m := _EVAL.search(line):
                evals = (float(m.group(1)), int(m.group(2)))
            elif _TOTAL.search(line) and prompt is not None and evals is not None:
                hit = self._pending_prefix[0] if self._pending_prefix else 0
                out.append(Completion(hit + prompt[1], prompt[1], evals[1], prompt[0], evals[0]))
                prompt = evals = None
                self._pending_prefix = None
        return out
