"""Settings: `SMALLCLAW_<SECTION>__<KEY>` environment variables, the workspace's
`.localclaw/config.toml`, and the user's own `~/.config/smallclaw/config.toml` (`$XDG_CONFIG_HOME`).

The environment wins over the workspace file, which wins over the user file, key by key. A
workspace's file may come from a cloned repository, so it may not set what could leak or execute
(:data:`USER_ONLY`). A bad file produces one :class:`ConfigError` whose message names the file, the
key and what was expected, never the value; callers print it and exit, no traceback.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from smallclaw_tui.config_files import CONFIG_FILE_NAME as CONFIG_FILE_NAME
from smallclaw_tui.config_files import DATA_DIR_NAME as DATA_DIR_NAME
from smallclaw_tui.config_files import ConfigError as ConfigError
from smallclaw_tui.config_files import read_toml as read_toml
from smallclaw_tui.config_files import resolve_workspace, workspace_config_path
from smallclaw_tui.config_files import user_config_path as user_config_path


def default_base_url() -> str:
    host = os.environ.get("OLLAMA_HOST", "").strip()
    if not host:
        return "http://127.0.0.1:11434"
    if "://" not in host:
        host = "http://" + host
    scheme, rest = host.split("://", 1)
    hostport = rest.rstrip("/")
    if hostport.startswith("0.0.0.0"):
        hostport = "127.0.0.1" + hostport[len("0.0.0.0") :]
    if ":" not in hostport.split("]")[-1]:
        hostport += ":11434"
    return f"{scheme}://{hostport}"


ToolMode = Literal["native", "schema", "text"]
ToolModeSetting = Literal["auto", "native", "schema", "text"]


class LLMSettings(BaseModel):
    api: Literal["ollama", "openai"] = "ollama"
    base_url: str = Field(default_factory=default_base_url)
    model: str = "qwen3:4b"
    api_key: SecretStr | None = None
    num_ctx: int = Field(default=8192, ge=512)
    num_predict: int = Field(default=1024, ge=16)
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    think: bool = True
    connect_timeout_s: float = Field(default=5.0, gt=0)
    # Generous: a cold model on a small box can take a minute before the first token.
    read_timeout_s: float = Field(default=180.0, gt=0)
    planner_model: str | None = None
    verifier_model: str | None = None
    truncation_margin: float = Field(default=0.97, gt=0.5, le=1.0)
    # How a step's action reaches the app: native tool calls, a reply constrained by a JSON
    # schema, or calls written as text; "auto" uses what the server was probed to honour.
    tool_mode: ToolModeSetting = "auto"


class AgentSettings(BaseModel):
    max_tool_rounds: int = Field(default=8, ge=1)
    reply_budget_tokens: int = Field(default=1024, ge=64)
    tool_result_max_chars: int = Field(default=2000, ge=200)
    loop_window: int = Field(default=12, ge=2)
    loop_warn_at: int = Field(default=3, ge=2)
    loop_block_at: int = Field(default=4, ge=2)
    loop_stuck_at: int = Field(default=6, ge=2)
    loop_guard: bool = True


class ToolSettings(BaseModel):
    shell_allowlist: list[str] = Field(
        default_factory=lambda: [
            # Programs that only read or print. Interpreters (python, sh) are left out on purpose:
            # they can do anything, so they wait for the user's approval.
            "ls",
            "cat",
            "head",
            "tail",
            "wc",
            "grep",
            "echo",
            "pwd",
            "test",
            "diff",
            "sort",
            "uniq",
            "true",
            "date",
            # Only with the arguments tools/shell_args.py allows: tee into workspace files, awk
            # as a filter (no system(), no redirects or pipes inside the program).
            "tee",
            "awk",
        ]
    )
    shell_timeout_s: float = Field(default=60.0, gt=0)
    # Shell commands run in a bubblewrap sandbox (tools/sandbox.py); without a working one, every
    # command asks first. A name is looked up on PATH.
    sandbox_bwrap: str = "bwrap"
    # Per process inside the sandbox (prlimit): address space, largest file written, processes of
    # the sandbox's user (not enforced for root: the wall-time limit ends a fork bomb there).
    shell_memory_mb: int = Field(default=4096, ge=64)
    shell_file_size_mb: int = Field(default=1024, ge=1)
    shell_max_processes: int = Field(default=512, ge=8)
    output_max_chars: int = Field(default=8000, ge=200)
    read_max_bytes: int = Field(default=200_000, ge=1000)
    web_fetch_max_bytes: int = Field(default=500_000, ge=1000)
    web_fetch_timeout_s: float = Field(default=20.0, gt=0)
    web_fetch_allow_private: bool = False


class RunnerSettings(BaseModel):
    max_concurrent: int = Field(default=1, ge=1)
    max_rounds_per_step: int = Field(default=6, ge=1)
    max_rounds_per_task: int = Field(default=40, ge=1)
    # A whole-file step answers whole for its first whole_file.TRIES tries and through the tools
    # after; 3 was measured (bench/real/TUNING.md §21): the third tries made two false completions
    # and no completion, so the default stays 2.
    max_step_attempts: int = Field(default=2, ge=1)
    verification: Literal["off", "yes_no", "checks_evidence"] = "checks_evidence"
    retries: bool = True
    retry_max_attempts: int = Field(default=6, ge=0)
    retry_base_s: float = Field(default=1.0, ge=0)
    retry_max_s: float = Field(default=20.0, ge=0)
    # A task stopped because the model server was unreachable goes on by itself once it answers.
    auto_resume_unreachable: bool = True
    # No longer used (the server is asked every `server_probe_s`); kept so files that set it load.
    auto_resume_after_s: float = Field(default=60.0, ge=1)
    # While the model server is down the queue holds, and the server is asked again this often.
    server_probe_s: float = Field(default=10.0, gt=0)
    on_crash: Literal["resume", "interrupted"] = "resume"
    summary_max_chars: int = Field(default=1500, ge=100)
    control_poll_s: float = Field(default=0.5, gt=0)
    # Checkpoints of finished tasks (what `task undo` restores) are pruned, oldest first, past this.
    snapshot_max_mb: int = Field(default=200, ge=1)
    # A try after a rejected one is sampled, not repeated: at temperature 0 the same prompt gives
    # the same mistake. Its seed is `seed` + 1000 × step + try, recorded in the journal.
    retry_temperature: float = Field(default=0.7, ge=0, le=2)
    seed: int = 0
    # At the end, the model judges the diff of everything the task changed against the goal.
    goal_review: bool = True
    # A step that edits or rewrites one small file is answered as the file's whole new text, not
    # through the edit tools (runner/whole_file.py).
    whole_file_edits: bool = True
    # A goal that names one file is one step with the goal's words, without a planner call
    # (runner/one_file_plan.py).
    one_file_plans: bool = True
    # The verifier's question goes at the end of the step's own conversation, whose prefix the
    # server has cached, instead of a fresh prompt with a system message of its own.
    verify_in_step: bool = False
    # The verifier's question in a conversation of its own that opens with the step's system
    # text and tools, byte for byte: the server reads only the question, and the verifier does
    # not see the worker's own messages (in the step's conversation it judged the worker's
    # undone detours; bench/real/TUNING.md §24). `verify_in_step` wins when both are on.
    verify_shared_prefix: bool = True
    # How much of each file a step names its prompt shows (characters).
    prompt_file_chars: int = Field(default=2000, ge=0)
    # A plan the runner made waits in "needs you" before its first step: resume runs it as it is,
    # `task edit` (e on the board) changes it first.
    review_plans: bool = False


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    chat_id: int | None = None
    allowed_user_ids: list[int] = Field(default_factory=list)
    base_url: str | None = None
    max_message_chars: int = Field(default=4000, ge=100, le=4096)

    @property
    def enabled(self) -> bool:
        return self.token is not None and bool(self.token.get_secret_value())


class TUISettings(BaseModel):
    theme: str = "textual-dark"
    keymap: dict[str, str] = Field(default_factory=dict)
    # Which runner events pop up a notification: "attention" (needs you, failed, a request not
    # applied, a failed delivery) or "all" (also every completed task). The board shows the rest.
    toasts: Literal["attention", "all"] = "attention"


# The config files' settings, already read and checked by load_settings, merged user-then-workspace.
_file_values: ContextVar[dict[str, Any] | None] = ContextVar("_file_values", default=None)


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return _file_values.get() or {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SMALLCLAW_", env_nested_delimiter="__", extra="ignore", case_sensitive=False
    )

    workspace: Path = Field(default_factory=Path.cwd)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    tools: ToolSettings = Field(default_factory=ToolSettings)
    runner: RunnerSettings = Field(default_factory=RunnerSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    tui: TUISettings = Field(default_factory=TUISettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def data_dir(self) -> Path:
        return self.workspace / DATA_DIR_NAME


def _describe(err: Any) -> str:
    loc = tuple(err.get("loc", ()))
    where = ".".join(str(p) for p in loc)
    msg = str(err.get("msg", "invalid value"))
    # Never the value: a token typed into the wrong key must not end up in a terminal's scrollback
    # or a CI log. The key and what was expected are enough to find and fix it. Pydantic's own
    # messages do not quote the input; a validator's might (short values: "5" is in "512").
    value = err.get("input")
    if isinstance(value, str) and len(value) >= 8 and value in msg:
        msg = msg.replace(value, "…")
    return f"key {where or '(top level)'}: {msg}"


# Settings a workspace's config file may not set: a cloned repository could otherwise send the bot
# token to its own server, let a stranger command the bot (/approve runs commands) or read its
# news, or let commands (and web fetches of this machine) run unasked.
USER_ONLY: tuple[tuple[str, str], ...] = (
    ("telegram", "token"),
    ("telegram", "base_url"),
    ("telegram", "allowed_user_ids"),
    ("telegram", "chat_id"),
    ("tools", "shell_allowlist"),
    ("tools", "web_fetch_allow_private"),
    # The program every command runs through: from a workspace, a planted "bwrap" would run unasked.
    ("tools", "sandbox_bwrap"),
)

_SECTIONS: dict[str, type[BaseModel]] = {
    "llm": LLMSettings,
    "agent": AgentSettings,
    "tools": ToolSettings,
    "runner": RunnerSettings,
    "telegram": TelegramSettings,
    "tui": TUISettings,
}


def _read_checked(path: Path) -> dict[str, Any]:
    """The file's settings, each section validated on its own so an error names this file."""
    if not path.is_file():
        return {}
    data = read_toml(path)
    unknown = sorted(set(data) - set(_SECTIONS) - {"workspace"})  # workspace: always the folder
    if unknown:
        raise ConfigError(f"{path}: unknown section {unknown[0]!r} (expected one of: {', '.join(_SECTIONS)})")
    for section, model in _SECTIONS.items():
        if section not in data:
            continue
        if not isinstance(data[section], dict):
            raise ConfigError(f"{path}: key {section}: expected a [{section}] table")
        extra = sorted(set(data[section]) - set(model.model_fields))
        if extra:
            raise ConfigError(
                f"{path}: key {section}.{extra[0]}: unknown setting "
                f"(expected one of: {', '.join(model.model_fields)})"
            )
        try:
            model.model_validate(data[section])
        except ValidationError as e:
            first = e.errors()[0]
            first = {**first, "loc": (section, *first["loc"])}
            raise ConfigError(f"{path}: {_describe(first)}") from None
    return data


def _refuse_user_only(path: Path, data: dict[str, Any]) -> None:
    for section, key in USER_ONLY:
        if key in data.get(section, {}):
            raise ConfigError(
                f"{path}: key {section}.{key} is not read from a workspace's config, which a cloned "
                f"repository could bring; set it in {user_config_path()} or "
                f"SMALLCLAW_{section.upper()}__{key.upper()}"
            )


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        out[key] = _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def load_settings(workspace: Path | None = None, **overrides: Any) -> Settings:
    """Load settings for a workspace. Raises :class:`ConfigError` with a one-line message."""
    ws = resolve_workspace(workspace)
    user = _read_checked(user_config_path())
    path = workspace_config_path(ws)
    local = _read_checked(path)
    _refuse_user_only(path, local)
    token = _file_values.set(_merged(user, local))
    try:
        return Settings(workspace=ws, **overrides)
    except ValidationError as e:
        raise ConfigError(f"environment: {_describe(e.errors()[0])} (check SMALLCLAW_* variables)") from None
    except SettingsError as e:
        # A SMALLCLAW_* value that must be JSON (a list, a table) and is not; names the field only.
        raise ConfigError(
            f"environment: {e} (check SMALLCLAW_* variables; lists are JSON, e.g. [1, 2])"
        ) from None
    finally:
        _file_values.reset(token)
