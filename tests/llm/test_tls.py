"""A client for a plain-HTTP server skips loading the CA bundle (a start-up cost) without ever
trusting a certificate it has not verified."""

from __future__ import annotations

import ssl

import pytest

from smallclaw_tui.llm._http import _tls_context_for


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_a_plain_http_server_gets_a_context_that_trusts_nothing() -> None:
    context = _tls_context_for("http://127.0.0.1:11434")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0


@pytest.mark.parametrize("url", ["https://models.example", "HTTPS://models.example"])
def test_an_https_server_is_verified_as_usual(url: str) -> None:
    assert _tls_context_for(url) is True


def test_a_proxy_from_the_environment_keeps_the_usual_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "https://proxy.example:3128")
    assert _tls_context_for("http://127.0.0.1:11434") is True
