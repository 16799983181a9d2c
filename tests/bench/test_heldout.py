"""The held-out task set (bench/reliability/heldout.py): its shape, and judges that are not vacuous.

Every task's judge must accept a hand-written correct end state and reject the lazy-wrong ones: the
seed left as it was, each file the task changes wiped, and the task's own list (a file overwritten
by the one new line, a JSON value stringified, a changelog section in the wrong place, …).
Also: `python -m bench.real --tasks heldout[:ID,…]` picks them, and the report keeps the sets apart.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.real import report as real_report
from bench.real import run as real_run
from bench.reliability import endstate
from bench.reliability.catalog import SET_OF
from bench.reliability.heldout import BY_ID, HELDOUT, RIGHT, WRONG, Change
from bench.reliability.spec import BenchTask
from bench.reliability.suite import SUITE

ROOT = Path(__file__).resolve().parents[2]


def _end_state(task: BenchTask, ws: Path, change: Change) -> endstate.Verdict:
    endstate.seed_workspace(task, ws)
    for rel, text in change.items():
        path = ws / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return endstate.judge(task, ws)


def test_the_set_is_goal_only_everyday_and_unlike_the_suite() -> None:
    assert len(HELDOUT) >= 18
    assert len(BY_ID) == len(HELDOUT)
    assert all(t.mode == "planner" for t in HELDOUT), "goal-only: the planner plans every task"
    assert sum(not t.possible for t in HELDOUT) == 2
    suite_starts = {t.goal.split()[0].lower() for t in SUITE}
    for t in HELDOUT:
        first = t.goal.split()[0]
        assert first.lower() not in suite_starts, f"{t.id}: starts like a suite goal ({first!r})"
        assert not t.goal[0].isupper() or t.goal.split()[0].isupper(), f"{t.id}: typed lowercase"
        assert SET_OF[t.id] == "heldout"
    assert not {t.goal for t in HELDOUT} & {t.goal for t in SUITE}
    assert set(RIGHT) == set(BY_ID) == set(WRONG)


@pytest.mark.parametrize("task", HELDOUT, ids=lambda t: t.id)
def test_judge_accepts_the_right_end_state(task: BenchTask, tmp_path: Path) -> None:
    verdict = _end_state(task, tmp_path, RIGHT[task.id])
    assert verdict.ok, verdict.problems


@pytest.mark.parametrize("task", HELDOUT, ids=lambda t: t.id)
def test_judge_rejects_lazy_wrong_end_states(task: BenchTask, tmp_path: Path) -> None:
    cases: dict[str, Change] = dict(WRONG[task.id])
    changed = [p for p in RIGHT[task.id] if p in task.files]
    if task.possible:
        cases["nothing done"] = {}
        cases |= {f"{p} wiped": {p: ""} for p in changed}
        cases |= {f"{p} deleted": {p: None} for p in changed}
    else:
        cases |= {f"{p} wiped": {p: ""} for p in task.files}
    assert len(cases) >= 3
    for n, (name, change) in enumerate(cases.items()):
        verdict = _end_state(task, tmp_path / str(n), change)
        assert not verdict.ok, f"{task.id}: the judge accepted the lazy-wrong end state {name!r}"


def test_impossible_tasks_accept_an_untouched_workspace(tmp_path: Path) -> None:
    for n, task in enumerate(t for t in HELDOUT if not t.possible):
        assert RIGHT[task.id] == {}
        assert _end_state(task, tmp_path / str(n), {}).ok


def test_structured_judges_name_what_is_wrong(tmp_path: Path) -> None:
    task = BY_ID["debug-off"]
    stringified = WRONG["debug-off"]["stringified"]
    (problem,) = _end_state(task, tmp_path / "a", stringified).problems
    assert 'debug is "false", want false' in problem
    (problem,) = _end_state(task, tmp_path / "b", {"config.json": "debug: false"}).problems
    assert "is not JSON" in problem


# --- bench.real wiring ------------------------------------------------------------------------------


def test_real_runner_selects_the_heldout_set() -> None:
    assert real_run.select("heldout") == list(HELDOUT)
    assert [t.id for t in real_run.select("heldout:debug-off,csv-rows")] == ["debug-off", "csv-rows"]
    assert real_run.task_set("heldout:debug-off") == "heldout"
    assert real_run.task_set("quick") == real_run.task_set("todo-list") == "suite"
    with pytest.raises(SystemExit, match="held-out"):
        real_run.select("heldout:todo-list")
    with pytest.raises(SystemExit, match="heldout:ID"):
        real_run.select("debug-off")  # plain ids are the suite's: a run is one set, never a mix
    assert [t.id for t in real_run.select("todo-list")] == ["todo-list"]
    suite_file = real_run.result_path("m", "tuned")
    held_file = real_run.result_path("m", "tuned", "heldout")
    assert suite_file.name == "m__tuned.json"
    assert held_file.name == "m__heldout__tuned.json"


def _run(label: str, tasks: list[BenchTask], set_name: str | None) -> dict[str, Any]:
    outcomes: list[dict[str, Any]] = [
        {
            "task": t.id,
            "mode": t.mode,
            "possible": t.possible,
            "status": "complete" if t.possible else "needs_assistance",
            "verdict": "ok" if t.possible else "escalated",
            "end_ok": True,
            "problems": [],
            "pause_reason": "" if t.possible else "the model says it is blocked: BLOCKED: no such file",
            "rounds": 2,
            "calls": {"step": 2, "verify": 2},
            "prompt_tokens": {"step": [900, 950]},
            "evaluated_tokens": {"step": [200, 250]},
            "tool_calls": 2,
            "native_tool_calls": 0,
            "wall_s": 10.0,
        }
        for t in tasks
    ]
    run: dict[str, Any] = {
        "model": "qwen2.5-coder-1.5b",
        "label": label,
        "code": "abc1234",
        "settings": {"llm.temperature": 0.0},
        "server": {},
        "date": "2026-12-05",
        "total_s": 600.0,
        "outcomes": outcomes,
    }
    if set_name is not None:
        run["set"] = set_name
    return run


def test_report_keeps_the_two_sets_apart() -> None:
    old = _run("tuned", list(SUITE[:3]), None)  # a result file from before "set" existed
    held = _run("held-label", list(HELDOUT), "heldout")
    text = real_report.body([old, held])
    before, _, after = text.partition("### Held-out set\n")
    assert after, text
    assert "| tuned |" in before and "| held-label |" not in before.split("### qwen2.5")[0]
    assert "| held-label |" in after.split("### qwen2.5")[0]
    assert "### Held-out set: why tasks were escalated" in after
    assert "### qwen2.5-coder-1.5b, held-label, held-out set: per task" in after
    assert f"{len(HELDOUT)} ({len(HELDOUT) - 2} possible)" in after
    # Only the suite: the section reads as it did before the held-out set existed.
    assert "Held-out" not in real_report.body([old])


# --- the simulated models can play the set ------------------------------------------------------------


@pytest.mark.timeout(300)
def test_fake_benchmark_runs_the_heldout_set(tmp_path: Path) -> None:
    out = tmp_path / "heldout.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.reliability",
            "--heldout",
            "--profiles",
            "honest",
            "--configs",
            "default",
            "--seeds",
            "1",
            "--jobs",
            "1",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["profile_errors"] == []
    runs = data["runs"]
    assert {r["task"] for r in runs} == set(BY_ID)
    # The honest model does each task's scripted plan: whatever the runner decides, it must never
    # mark a task complete with wrong files, and both impossible tasks end with the user.
    seen = {r["task"]: f"{r['verdict']} ({r['status']}: {r['pause_reason'][:120]})" for r in runs}
    assert [r["task"] for r in runs if r["verdict"] == "false"] == [], seen
    assert all(r["verdict"] == "escalated" for r in runs if not r["possible"]), seen
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_the_goal_literal_end_check_accepts_every_right_end_state() -> None:
    # runner/recheck.goal_literals: a goal's new value (db2, 10.0.0.12, 2.0.0) must end up in a file
    # the task changed. Checked, as goal_diff was, against the held-out set's right end states.
    from smallclaw_tui.runner.recheck import goal_literals

    checked = 0
    for task in HELDOUT:
        seed = "\n".join(task.files.values())
        right = "\n".join(t for t in RIGHT[task.id].values() if t)
        for literal in goal_literals(task.goal):
            if literal not in seed:
                checked += 1
                assert literal in right, (task.id, literal)
    assert checked >= 4  # db2, 10.0.0.12, 0.4.0, 1.3.0
