"""The reliability suite with a real small model behind a llama.cpp server (the `real` profile).

`python -m bench.real --model qwen2.5-coder-0.5b [--tasks short]`; see :mod:`bench.real.run`.
"""
