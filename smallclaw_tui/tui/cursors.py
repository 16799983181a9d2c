"""Steady cursors for snapshots and screenshots, apart from the dialogs so that the main screen can
use it without importing them (or TextArea) before its first frame."""

from __future__ import annotations

from textual.dom import DOMNode


def steady_cursors(root: DOMNode) -> None:
    """Stop cursors blinking under `root` when the app asks for it (snapshots, screenshots)."""
    if getattr(root.app, "cursor_blink", True):
        return
    for widget in root.query("Input, TextArea"):
        setattr(widget, "cursor_blink", False)  # noqa: B010 - both have it; neither type is imported here
