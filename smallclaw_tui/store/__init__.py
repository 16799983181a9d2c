"""Persistence under `<workspace>/.localclaw/`: atomic JSON files, append-only journals, quarantine."""
