from __future__ import annotations

from pathlib import Path

import pytest

from smallclaw_tui.config import ConfigError, load_settings, user_config_path


def _write(ws: Path, text: str) -> Path:
    (ws / ".localclaw").mkdir(exist_ok=True)
    p = ws / ".localclaw" / "config.toml"
    p.write_text(text)
    return p


def test_defaults(workspace: Path) -> None:
    s = load_settings(workspace)
    assert s.llm.base_url == "http://127.0.0.1:11434"
    assert s.llm.model == "qwen3:4b" and s.llm.api == "ollama"
    assert s.runner.max_concurrent == 1
    assert s.workspace == workspace.resolve()
    assert not s.telegram.enabled


def test_ollama_host_sets_the_default_url(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:11500")
    assert load_settings(workspace).llm.base_url == "http://127.0.0.1:11500"
    monkeypatch.setenv("OLLAMA_HOST", "https://box.lan")
    assert load_settings(workspace).llm.base_url == "https://box.lan:11434"


def test_file_then_env_env_wins(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(workspace, '[llm]\nmodel = "from-file"\nnum_ctx = 4096\n[runner]\nmax_concurrent = 2\n')
    s = load_settings(workspace)
    assert (s.llm.model, s.llm.num_ctx, s.runner.max_concurrent) == ("from-file", 4096, 2)
    monkeypatch.setenv("SMALLCLAW_LLM__MODEL", "from-env")
    monkeypatch.setenv("SMALLCLAW_TELEGRAM__TOKEN", "123:abc")
    s = load_settings(workspace)
    assert s.llm.model == "from-env" and s.llm.num_ctx == 4096
    assert s.telegram.enabled and "abc" not in repr(s.telegram)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("[llm\nmodel=1", "not valid TOML"),
        ('[llm]\nnum_ctx = "lots"\n', "key llm.num_ctx"),
        ("[llm]\nnum_ctx = 10\n", "greater than or equal to 512"),
        ('[llm]\nmodle = "x"\n', "key llm.modle: unknown setting"),
        ('[lm]\nmodel = "x"\n', "unknown section 'lm'"),
        ('llm = "x"\n', "expected a [llm] table"),
        ('[runner]\nverification = "maybe"\n', "key runner.verification"),
    ],
)
def test_bad_config_file_gives_one_clear_line(workspace: Path, text: str, expect: str) -> None:
    path = _write(workspace, text)
    with pytest.raises(ConfigError) as err:
        load_settings(workspace)
    msg = str(err.value)
    assert str(path) in msg and expect in msg and "\n" not in msg


def test_bad_env_value_names_the_environment(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMALLCLAW_LLM__NUM_CTX", "huge")
    with pytest.raises(ConfigError, match=r"environment: key llm\.num_ctx"):
        load_settings(workspace)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[telegram]\ntoken = 12345\n", "telegram.token"),
        ("[telegram]\ntoken = [12345]\n", "telegram.token"),
        ("[llm]\napi_key = 12345\n", "llm.api_key"),
    ],
)
def test_config_errors_never_echo_a_secret(workspace: Path, text: str, key: str) -> None:
    # The user's own file: a workspace's may not hold the bot token at all.
    path = user_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    try:
        with pytest.raises(ConfigError) as err:
            load_settings(workspace)
    finally:
        path.unlink()
    assert f"key {key}" in str(err.value) and "12345" not in str(err.value)


def test_config_errors_show_the_key_and_what_was_expected_but_not_the_value(workspace: Path) -> None:
    _write(workspace, '[llm]\nnum_ctx = "lots"\n')
    with pytest.raises(ConfigError, match=r"key llm\.num_ctx: Input should be a valid integer") as err:
        load_settings(workspace)
    assert "lots" not in str(err.value)


def test_env_value_that_is_not_json_gives_one_line(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMALLCLAW_TELEGRAM__ALLOWED_USER_IDS", "not a list")
    with pytest.raises(ConfigError, match=r"environment: .*telegram") as err:
        load_settings(workspace)
    assert "\n" not in str(err.value) and "not a list" not in str(err.value)
