"""The background task runner: rounds, verification, retries, pause/resume, recovery, delivery."""
