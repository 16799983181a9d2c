"""Modal screens: new task, note, confirm, approve, help."""
