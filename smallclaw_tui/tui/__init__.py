"""The full-screen Textual app. The only package that imports Textual.

Kept import-free so that `import smallclaw_tui.tui` costs nothing; the app lives in
:mod:`smallclaw_tui.tui.app`.
"""
