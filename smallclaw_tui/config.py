"""Settings: `.localclaw/config.toml` plus `SMALLCLAW_<SECTION>__<KEY>` environment variables.

Environment wins over the file. A bad file produces one :class:`ConfigError` whose message names
the file, the key and what was expected; callers print it and exit, no traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

DATA_DIR_NAME = ".localclaw"
CONFIG_FILE_NAME = "config.toml"


class ConfigError(Exception):
    """A configuration problem, already phrased for the user (one line)."""


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
        ]
    )
    shell_timeout_s: float = Field(default=60.0, gt=0)
    output_max_chars: int = Field(default=8000, ge=200)
    read_max_bytes: int = Field(default=200_000, ge=1000)
    web_fetch_max_bytes: int = Field(default=500_000, ge=1000)
    web_fetch_timeout_s: float = Field(default=20.0, gt=0)


class RunnerSettings(BaseModel):
    max_concurrent: int = Field(default=1, ge=1)
    max_rounds_per_step: int = Field(default=6, ge=1)
    max_rounds_per_task: int = Field(default=40, ge=1)
    max_step_attempts: int = Field(default=2, ge=1)
    verification: Literal["off", "yes_no", "checks_evidence"] = "checks_evidence"
    retries: bool = True
    retry_max_attempts: int = Field(default=6, ge=0)
    retry_base_s: float = Field(default=1.0, ge=0)
    retry_max_s: float = Field(default=20.0, ge=0)
    auto_resume_unreachable: bool = False
    auto_resume_after_s: float = Field(default=60.0, ge=1)
    on_crash: Literal["resume", "interrupted"] = "resume"
    summary_max_chars: int = Field(default=1500, ge=100)
    control_poll_s: float = Field(default=0.5, gt=0)


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


_toml_path: ContextVar[Path | None] = ContextVar("_toml_path", default=None)


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _toml_path.get()
        if path is None or not path.is_file():
            return {}
        return read_toml(path)


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


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None


# Named like a credential: never echoed, even where the field is not typed SecretStr.
_SECRET_NAME = re.compile(r"(^|_)(token|api_key|secret|password|passwd)($|_)", re.IGNORECASE)


def _holds_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_holds_secret(a) for a in get_args(annotation))


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for a in get_args(annotation):
        if (m := _submodel(a)) is not None:
            return m
    return None


def is_secret(loc: tuple[Any, ...]) -> bool:
    """Whether the setting at `loc` (e.g. ("telegram", "token")) holds a secret."""
    if any(isinstance(p, str) and _SECRET_NAME.search(p) for p in loc):
        return True
    model: type[BaseModel] | None = Settings
    for part in loc:
        field = model.model_fields.get(str(part)) if model is not None else None
        if field is None:
            return False
        if _holds_secret(field.annotation):
            return True
        model = _submodel(field.annotation)
    return False


def _describe(err: Any) -> str:
    loc = tuple(err.get("loc", ()))
    where = ".".join(str(p) for p in loc)
    msg = str(err.get("msg", "invalid value"))
    value = err.get("input")
    # A token typed into the wrong place must not end up in a terminal's scrollback or a CI log.
    shown = "" if isinstance(value, dict) or is_secret(loc) else f" (got {value!r})"
    return f"key {where or '(top level)'}: {msg}{shown}"


def load_settings(workspace: Path | None = None, **overrides: Any) -> Settings:
    """Load settings for a workspace. Raises :class:`ConfigError` with a one-line message."""
    ws = (workspace or Path(os.environ.get("SMALLCLAW_WORKSPACE") or Path.cwd())).expanduser().resolve()
    path = ws / DATA_DIR_NAME / CONFIG_FILE_NAME
    # Validate the file on its own first, so an error names the file rather than the environment.
    if path.is_file():
        data = read_toml(path)
        unknown = sorted(set(data) - set(Settings.model_fields) - {"workspace"})
        if unknown:
            raise ConfigError(
                f"{path}: unknown section {unknown[0]!r} "
                f"(expected one of: {', '.join(k for k in Settings.model_fields if k != 'workspace')})"
            )
        for section, model in (
            ("llm", LLMSettings),
            ("agent", AgentSettings),
            ("tools", ToolSettings),
            ("runner", RunnerSettings),
            ("telegram", TelegramSettings),
            ("tui", TUISettings),
        ):
            if section in data:
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
    token = _toml_path.set(path)
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
        _toml_path.reset(token)
