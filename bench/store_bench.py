"""Store benchmark: loading 1,000 and 10,000 tasks; journal append cost at 100 vs 10,000 entries.

Run: `.venv/bin/python -m bench.store_bench` (writes the "Store" section of docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import write_section
from smallclaw_tui.models import JournalEntry, JournalType, PlanStep, Task
from smallclaw_tui.store.journal import append_entries
from smallclaw_tui.store.tasks import TaskStore, dump_task


def _make_tasks(store: TaskStore, n: int) -> None:
    store.ensure()
    for i in range(n):
        t = Task(
            title=f"task {i}",
            prompt="Write the report " * 5,
            plan=[PlanStep(index=j, description=f"step {j} of the plan") for j in range(4)],
        )
        store.task_path(t.id).write_text(dump_task(t))


async def _load(store: TaskStore) -> tuple[float, int]:
    t0 = time.perf_counter()
    result = await store.load_all()
    return time.perf_counter() - t0, len(result.tasks)


async def _append_cost(store: TaskStore, task: Task, length: int, samples: int = 300) -> float:
    """Median seconds per append once the journal already holds `length` entries."""
    path = store.journal_path(task.id)
    path.unlink(missing_ok=True)
    filler = [
        JournalEntry(type=JournalType.TOOL_RESULT, content="wrote 120 bytes to notes/a.txt " * 3)
    ] * length
    await append_entries(path, filler)
    times = []
    for i in range(samples):
        e = JournalEntry(type=JournalType.TOOL_CALL, content=f"write_file #{i}")
        t0 = time.perf_counter()
        await store.append_journal(task, e)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1_000, 10_000):
            store = TaskStore(Path(tmp) / f"ws{n}" / ".localclaw")
            _make_tasks(store, n)
            secs, count = await _load(store)
            assert count == n
            rows.append(f"| load_all, {n:,} tasks | {secs * 1000:,.0f} ms | {secs / n * 1e6:,.0f} µs/task |")
        store = TaskStore(Path(tmp) / "journal" / ".localclaw")
        task = await store.create(Task(title="j", prompt="p"))
        costs = {}
        for length in (100, 10_000):
            task.journal.clear()
            costs[length] = await _append_cost(store, task, length)
            rows.append(
                f"| append one journal entry at length {length:,} "
                f"| {costs[length] * 1e6:,.0f} µs (median of 300) | |"
            )
    ratio = costs[10_000] / costs[100]
    body = "\n".join(
        [
            "`python -m bench.store_bench`. Journal entries live in an append-only `<id>.journal.jsonl`",
            "beside the task file, so an append never rewrites the task.",
            "",
            "| what | time | per item |",
            "|---|---|---|",
            *rows,
            "",
            f"Append at 10,000 entries / append at 100 entries: **{ratio:.2f}×** (1.0 = no slowdown).",
        ]
    )
    print(body)
    write_section("Store", body)


if __name__ == "__main__":
    asyncio.run(main())
