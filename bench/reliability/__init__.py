"""The small-model reliability benchmark: does the runner finish honestly, and give up fast?

`python -m bench.reliability` runs the task suite (:mod:`.suite`) through the real runner against
simulated models (:mod:`.profiles`) on a loopback Ollama-protocol server, judges each end state
independently (:mod:`.endstate`), and reports outcomes, cycles burned, prompt size, engine
overhead and ablations (:mod:`.report`). `--heldout` runs the held-out set instead
(:mod:`.heldout`: goal-only tasks in everyday wording, written before any tuning on them).
"""
