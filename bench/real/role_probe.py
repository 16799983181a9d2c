"""Probe: which phrasing of the 'does this step make or read the file' question does the 1.5B get right?"""
import sys, json, re
import httpx
sys.path.insert(0, "/work/main")
from bench.real.run import Server

CASES = [
    ("List the src folder and write the file names, one per line, into src/index.txt", "src/index.txt", "MAKE"),
    ("Count the number of lines in all Python files in src directory and write it to py_count.txt", "py_count.txt", "MAKE"),
    ("Count the lines of data.csv with wc -l and write the number to count.txt", "count.txt", "MAKE"),
    ("Count the lines of data.csv with wc -l and write the number to count.txt", "data.csv", "READ"),
    ("Read missing.txt to get the text to copy", "missing.txt", "READ"),
    ("Write the text of missing.txt into copy.txt", "missing.txt", "READ"),
    ("Write the text of missing.txt into copy.txt", "copy.txt", "MAKE"),
    ("Read report.pdf", "report.pdf", "READ"),
    ("Write a summary of report.pdf into summary.txt", "summary.txt", "MAKE"),
    ("Write a summary of report.pdf into summary.txt", "report.pdf", "READ"),
    ("Search the src folder for TODO and save the matching path in todo.txt", "todo.txt", "MAKE"),
    ("Use the names in people.txt to fill greetings.txt", "people.txt", "READ"),
    ("Use the names in people.txt to fill greetings.txt", "greetings.txt", "MAKE"),
]
SYS = "You sort the files of a step for a file assistant. Reply with one word."
def a(step, path):
    return (f"Step: {step}\n\nDoes this step make the file {path}, or only read it? Reply MAKE if "
            f"the step writes {path}, or READ if {path} is only read.")
def b(step, path):
    return (f"Step: {step}\n\nIs {path} an output of this step (the step writes it) or an input "
            f"(the step reads it)? Reply OUTPUT or INPUT.")
def c(step, path):
    return (f"Step: {step}\n\nWhich file does this step write? Reply with its name only.")
def ask(url, user):
    r = httpx.post(url.rstrip("/") + "/v1/chat/completions", json={"messages": [{"role": "system", "content": SYS}, {"role": "user", "content": user}], "temperature": 0, "max_tokens": 12}, timeout=120)
    return r.json()["choices"][0]["message"]["content"].strip()
with Server("qwen2.5-coder-1.5b", 4096) as srv:
    url = srv.url
    score = {"a": 0, "b": 0, "c": 0}
    for step, path, want in CASES:
        ra = ask(url, a(step, path)); rb = ask(url, b(step, path)); rc = ask(url, c(step, path))
        oka = ("MAKE" in ra.upper()) == (want == "MAKE") and ("READ" in ra.upper()) != (want == "MAKE")
        okb = ("OUTPUT" in rb.upper()) == (want == "MAKE") and ("INPUT" in rb.upper()) != (want == "MAKE")
        okc = (path.rsplit("/",1)[-1] in rc) == (want == "MAKE")
        score["a"] += oka; score["b"] += okb; score["c"] += okc
        print(f"{want:4} {path:14} a={ra!r:10} {'ok' if oka else 'XX'}  b={rb!r:10} {'ok' if okb else 'XX'}  c={rc!r:20} {'ok' if okc else 'XX'}  | {step[:50]}", flush=True)
    print(score, "of", len(CASES))
