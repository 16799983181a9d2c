"""`smallclaw doctor`: is the model server there, is the model there, can it call a tool, which
tool mode the server honours, how fast; and whether shell commands can run in the sandbox.

Each check says what it saw and, when it fails, what to do in plain words. When the server cannot
be reached the first check says so in one line and the others are skipped: their failures would
only repeat it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from smallclaw_tui.agent.mode_probe import (
    ECHO_TOOL,
    ModeProbe,
    probe_native,
    probe_schema,
)
from smallclaw_tui.config import LLMSettings, Settings, ToolSettings
from smallclaw_tui.llm.base import ChatResult, LLMError, ModelClient
from smallclaw_tui.llm.errors import one_line
from smallclaw_tui.llm.factory import make_client
from smallclaw_tui.textsafe import redact_url
from smallclaw_tui.tools.sandbox import sandbox_status

__all__ = ["ECHO_TOOL", "DoctorCheck", "DoctorReport", "format_report", "run_doctor", "text_tool_call"]

SLOW_TOKENS_PER_S = 2.0
LATER_CHECKS = ("context", "tool call", "tool mode", "speed")


@dataclass(frozen=True, slots=True)
class DoctorCheck:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    skipped: bool = False


@dataclass(slots=True)
class DoctorReport:
    checks: list[DoctorCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed (a skipped check only follows a failed one)."""
        return all(c.ok for c in self.checks if not c.skipped)

    def __iter__(self) -> Iterator[DoctorCheck]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def get(self, name: str) -> DoctorCheck | None:
        return next((c for c in self.checks if c.name == name), None)


def model_present(model: str, names: list[str]) -> bool:
    """Ollama lists `qwen3:latest` for a model asked for as `qwen3`."""
    return model in names or (":" not in model and f"{model}:latest" in names)


def text_tool_call(text: str) -> dict[str, object] | None:
    """The first JSON object with a "name" in `text`: a tool call written as text."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value
        start = text.find("{", start + 1)
    return None


def _skip(name: str, why: str) -> DoctorCheck:
    return DoctorCheck(name, ok=False, detail=f"skipped: {why}", skipped=True)


async def run_doctor(settings: Settings, client: ModelClient | None = None) -> DoctorReport:
    """Run the checks against `client` (or a client made from settings, closed afterwards)."""
    own = client is None
    active = client if client is not None else make_client(settings.llm)
    try:
        report = await _run(settings.llm, active)
    finally:
        if own:
            await active.aclose()
    report.checks.append(await sandbox_check(settings.tools))
    return report


async def sandbox_check(tools: ToolSettings) -> DoctorCheck:
    """Can shell commands run in the bubblewrap sandbox? Without it every command asks first."""
    status = await sandbox_status(tools)
    if status.sandbox is not None:
        detail = f"shell commands run in bubblewrap ({status.sandbox.bwrap})"
        return DoctorCheck("sandbox", ok=True, detail=detail)
    if status.namespaces_refused:
        fix = (
            "allow unprivileged user namespaces: `sysctl kernel.unprivileged_userns_clone=1` (Debian), "
            "or `sysctl kernel.apparmor_restrict_unprivileged_userns=0` (Ubuntu 23.10+)"
        )
    else:
        fix = "install bubblewrap (`apt install bubblewrap` or `dnf install bubblewrap`)"
    detail = f"{status.reason}; meanwhile every shell command asks for approval (and then runs unconfined)"
    return DoctorCheck("sandbox", ok=False, detail=detail, fix=fix)


async def _run(llm: LLMSettings, client: ModelClient) -> DoctorReport:
    report = DoctorReport()
    add = report.checks.append
    server_name = "Ollama (`ollama serve`)" if llm.api == "ollama" else "the model server"
    try:
        names = await client.list_models()
    except LLMError as e:
        add(
            DoctorCheck(
                "server",
                ok=False,
                detail=str(e),
                fix=f"start {server_name}, or set llm.base_url (SMALLCLAW_LLM__BASE_URL) to where it runs",
            )
        )
        for name in ("model", *LATER_CHECKS):
            add(_skip(name, "server unreachable"))
        return report
    add(DoctorCheck("server", ok=True, detail=f"{redact_url(client.base_url)} answers ({len(names)} models)"))

    model = llm.model
    if model_present(model, names):
        add(DoctorCheck("model", ok=True, detail=f"{model} is on the server"))
    elif llm.api == "openai" and len(names) == 1:
        # llama.cpp and LM Studio serve their one loaded model whatever name is asked for.
        add(
            DoctorCheck(
                "model",
                ok=True,
                detail=f"the server serves one model, {names[0]!r}; requests for {model!r} go to it",
                fix=f"set llm.model to {names[0]!r} if the server rejects {model!r}",
            )
        )
    else:
        have = ", ".join(names[:8]) or "none"
        fix = f"run `ollama pull {model}`" if llm.api == "ollama" else f"load {model} on the server"
        add(DoctorCheck("model", ok=False, detail=f"{model} is not on the server (it has: {have})", fix=fix))
        for name in LATER_CHECKS:
            add(_skip(name, f"model {model} missing"))
        return report

    add(await _context_check(llm, client))
    result, native = await probe_native(client)
    # Not remembered for auto: doctor runs in its own process; the app probes for itself.
    probe = ModeProbe(native, await probe_schema(client), result)
    add(_tool_check(llm, probe))
    add(_mode_check(llm, probe))
    add(_speed_check(result) if result is not None else _skip("speed", "no reply to time"))
    return report


async def _context_check(llm: LLMSettings, client: ModelClient) -> DoctorCheck:
    try:
        info = await client.show_model()
    except LLMError as e:
        return DoctorCheck("context", ok=False, detail=str(e), fix="check the model name and the server")
    limit = info.context_length
    if limit is None:
        return DoctorCheck(
            "context", ok=True, detail=f"server does not report it; using num_ctx {llm.num_ctx}"
        )
    if llm.num_ctx > limit:
        if llm.api == "ollama":
            fix = f"set llm.num_ctx to {limit} or less"
        else:
            fix = f"set llm.num_ctx to {limit}, or start the server with a larger context (llama-server -c)"
        return DoctorCheck(
            "context",
            ok=False,
            detail=f"llm.num_ctx is {llm.num_ctx} but the model/server allows {limit}: prompts would be cut",
            fix=fix,
        )
    return DoctorCheck("context", ok=True, detail=f"num_ctx {llm.num_ctx} (model allows up to {limit})")


def _tool_check(llm: LLMSettings, probe: ModeProbe) -> DoctorCheck:
    result = probe.native_reply
    if result is None:
        hint = "the model may still be loading: run doctor again" if probe.native.retryable else ""
        return DoctorCheck("tool call", ok=False, detail=probe.native.detail, fix=hint or "see the message")
    if probe.native.ok:
        return DoctorCheck("tool call", ok=True, detail=probe.native.detail)
    written = text_tool_call(result.text)
    if written is not None:
        return DoctorCheck(
            "tool call",
            ok=True,
            detail=f"the model wrote the call as text ({written['name']}); it works, less reliably",
            fix="native tool calls are more reliable: use a model/template with tool support",
        )
    said = one_line(result.text, 80) or "(nothing)"
    if probe.schema.ok and llm.tool_mode in ("auto", "schema"):
        return DoctorCheck(
            "tool call",
            ok=True,
            detail=f"no native tool call (the model replied: {said}); schema mode works instead",
            fix="native tool calls need a model/template with tool support",
        )
    if llm.model.startswith("qwen3"):
        fix = f"{llm.model} usually calls tools: check that the server's chat template supports them"
    else:
        fix = f"{llm.model} may not support tools; try qwen3:4b"
    return DoctorCheck("tool call", ok=False, detail=f"no tool call; the model replied: {said}", fix=fix)


def _mode_check(llm: LLMSettings, probe: ModeProbe) -> DoctorCheck:
    """Which modes work, and the one the app will use (the setting, or auto's pick)."""
    modes = "  ".join(f"{m} {'✓' if probe.works(m) else '✗'}" for m in ("native", "schema", "text"))
    using = probe.pick if llm.tool_mode == "auto" else llm.tool_mode
    why = "auto's pick" if llm.tool_mode == "auto" else "llm.tool_mode"
    detail = f"{modes}; using {using} ({why})"
    if not probe.works(using):
        failed = probe.schema if using == "schema" else probe.native
        return DoctorCheck(
            "tool mode",
            ok=False,
            detail=detail,
            fix=f"the server does not honour {using} ({one_line(failed.detail, 160)}); "
            "set llm.tool_mode to auto",
        )
    hint = "" if probe.schema.ok else f"schema mode: {one_line(probe.schema.detail, 160)}"
    return DoctorCheck("tool mode", ok=True, detail=detail, fix=hint)


def _speed_check(result: ChatResult) -> DoctorCheck:
    usage = result.usage
    if usage is None or usage.tokens_per_s is None:
        return DoctorCheck("speed", ok=True, detail="not reported by the server")
    load = f"; model load {usage.load_s:.1f} s" if usage.load_s else ""
    detail = f"{usage.tokens_per_s:.1f} tokens/s{load}"
    if usage.tokens_per_s < SLOW_TOKENS_PER_S:
        return DoctorCheck(
            "speed",
            ok=False,
            detail=detail + " (very slow)",
            fix="use a smaller model or a smaller llm.num_ctx, or run the server on a GPU",
        )
    return DoctorCheck("speed", ok=True, detail=detail)


def format_report(report: DoctorReport) -> str:
    """Plain text, one line per check ("ok" / "FAIL" / "skip"), fixes and hints indented below."""
    width = max((len(c.name) for c in report.checks), default=0)
    lines: list[str] = []
    for c in report.checks:
        mark = "skip" if c.skipped else ("ok" if c.ok else "FAIL")
        lines.append(f"{mark:<5} {c.name:<{width}}  {c.detail}")
        if c.fix and not c.skipped:
            lines.append(f"{'':<5} {'':<{width}}  {'fix' if not c.ok else 'hint'}: {c.fix}")
    failed = sum(1 for c in report.checks if not c.ok and not c.skipped)
    lines.append("all checks passed" if failed == 0 else f"{failed} check(s) failed")
    return "\n".join(lines)
