"""What a workspace's config file may set, the user's own config file, and errors that echo nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smallclaw_tui.config import ConfigError, load_settings

TOKEN = "123456:AAsecret-token-value"


def _workspace_config(ws: Path, text: str) -> Path:
    (ws / ".localclaw").mkdir(exist_ok=True)
    path = ws / ".localclaw" / "config.toml"
    path.write_text(text)
    return path


@pytest.fixture
def user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's own config file, in a config home of this test's own."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    path = home / "smallclaw" / "config.toml"
    path.parent.mkdir(parents=True)
    return path


# --- the workspace file is not trusted with what can leak or execute ---------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("telegram.token", f'"{TOKEN}"'),
        ("telegram.base_url", '"http://evil.example/bot"'),
        ("tools.shell_allowlist", '["sh", "python3"]'),
        ("tools.web_fetch_allow_private", "true"),
        # A stranger allowed by a cloned repository could /approve commands or read the news.
        ("telegram.allowed_user_ids", "[666]"),
        ("telegram.chat_id", "666"),
        # Every command runs through it: a planted program would run unasked, outside any sandbox.
        ("tools.sandbox_bwrap", '"./evil-bwrap"'),
    ],
)
def test_workspace_config_may_not_set_what_can_leak_or_execute(
    workspace: Path, user_config: Path, key: str, value: str
) -> None:
    section, name = key.split(".")
    env = f"SMALLCLAW_{section.upper()}__{name.upper()}"
    path = _workspace_config(workspace, f"[{section}]\n{name} = {value}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(workspace)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: key {key} ")
    assert str(user_config) in msg and env in msg  # where to put it instead
    assert TOKEN not in msg and "evil.example" not in msg and "python3" not in msg


def test_the_cli_refuses_such_a_workspace_with_one_line_and_exit_1(workspace: Path) -> None:
    _workspace_config(workspace, '[tools]\nshell_allowlist = ["sh"]\n')
    env = {**os.environ, "SMALLCLAW_WORKSPACE": str(workspace)}
    argv = [sys.executable, "-m", "smallclaw_tui", "task", "list"]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "key tools.shell_allowlist" in r.stderr


def test_the_user_config_sets_them_and_the_workspace_the_rest(
    workspace: Path, user_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "http://127.0.0.1:8081/bot"\n'
        '[tools]\nshell_allowlist = ["ls", "make"]\nweb_fetch_allow_private = true\n'
        '[llm]\nmodel = "from-user"\nnum_ctx = 4096\n'
    )
    _workspace_config(workspace, '[llm]\nmodel = "from-workspace"\n[tools]\nshell_timeout_s = 5\n')
    s = load_settings(workspace)
    assert s.telegram.enabled and s.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert s.tools.shell_allowlist == ["ls", "make"] and s.tools.web_fetch_allow_private
    assert s.tools.shell_timeout_s == 5
    assert (s.llm.model, s.llm.num_ctx) == ("from-workspace", 4096)  # the workspace wins, key by key
    monkeypatch.setenv("SMALLCLAW_LLM__MODEL", "from-env")
    monkeypatch.setenv("SMALLCLAW_TOOLS__SHELL_ALLOWLIST", '["cat"]')
    s = load_settings(workspace)
    assert s.llm.model == "from-env" and s.tools.shell_allowlist == ["cat"]  # the environment wins


def test_without_xdg_config_home_the_user_config_is_under_home(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "home" / ".config" / "smallclaw" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[tools]\nshell_allowlist = ["make"]\n')
    assert load_settings(workspace).tools.shell_allowlist == ["make"]


def test_a_bad_user_config_names_that_file(workspace: Path, user_config: Path) -> None:
    user_config.write_text("[llm]\nnum_ctx = 10\n")
    with pytest.raises(ConfigError, match=rf"^{user_config}: key llm\.num_ctx"):
        load_settings(workspace)


# --- a value typed into the wrong key is never echoed --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f'[telegram]\nchat_id = "{TOKEN}"\n',
        f'[telegram]\nallowed_user_ids = "{TOKEN}"\n',
        f'[telegram]\nallowed_user_ids = ["{TOKEN}"]\n',
        f'[llm]\nnum_ctx = "{TOKEN}"\n',
        f'[runner]\nverification = "{TOKEN}"\n',
    ],
)
def test_config_errors_never_echo_the_value(workspace: Path, user_config: Path, text: str) -> None:
    for path in (_workspace_config(workspace, text), user_config):
        path.write_text(text)
        with pytest.raises(ConfigError) as err:
            load_settings(workspace)
        assert str(path) in str(err.value) and "AAsecret" not in str(err.value)
        path.write_text("")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMALLCLAW_TELEGRAM__CHAT_ID", TOKEN),
        ("SMALLCLAW_TELEGRAM__ALLOWED_USER_IDS", f'["{TOKEN}"]'),
        ("SMALLCLAW_TELEGRAM__ALLOWED_USER_IDS", TOKEN),
        ("SMALLCLAW_LLM__NUM_CTX", TOKEN),
    ],
)
def test_environment_errors_never_echo_the_value(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings(workspace)
    assert "environment" in str(err.value) and "AAsecret" not in str(err.value)
