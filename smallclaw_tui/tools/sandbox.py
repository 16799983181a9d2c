"""The OS sandbox every shell command runs in: bubblewrap (`bwrap`), not a command-line parser.

The allowlist policy decides what may run without asking; this decides what any command, asked or
not, can reach. A command sees:

- the workspace, read-write, at its own path (so paths in output read the same as outside), except
  ``.localclaw/`` (an empty read-only folder: config.toml holds tokens, and a planted config.toml
  would be read by the app next start) and ``.git`` (read-only: a planted hook or ``core.fsmonitor``
  would run outside the sandbox the next time the user runs git);
- the system read-only: ``/usr`` and the ``/bin``, ``/sbin``, ``/lib*`` links or folders, and only
  the files under ``/etc`` that ordinary programs read (:data:`_ETC`). Not ``/etc`` wholesale: it
  names the host and the network (``hostname``, ``hosts``, ``resolv.conf``) and may hold credentials
  (``gitconfig`` helpers, ``pip.conf`` index URLs, ``ssh/``);
- no home folder, no ``/run``, no ``/sys``, a fresh empty ``/tmp``, its own ``/proc`` (a new PID
  namespace: only the command's own processes) and a minimal ``/dev``;
- no network (only a loopback interface of its own), no capabilities, a new session (no way to
  type into the user's terminal), and an environment built from :func:`sandbox_env`, nothing taken
  from the app's own.

Limits: the caller's wall-time kill (killing ``bwrap`` ends the whole PID namespace, so nothing the
command started survives), and ``prlimit`` inside the sandbox for address space, file size and
process count. RLIMIT_NPROC does not bind root, so as root a fork bomb runs until the wall-time kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from smallclaw_tui.config import DATA_DIR_NAME, ToolSettings

# Programs are found here and nowhere else: a PATH from the app could name a folder that is not in
# the sandbox, or put a workspace folder first.
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
# Empty and fresh in every sandbox; a program that insists on a home writes there and it is gone.
SANDBOX_HOME = "/tmp"

# /usr and, on merged-usr systems, the links into it (bind where they are real folders).
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What ordinary programs read from /etc: Debian's program links (awk, editor, …), the dynamic
# linker's cache, user and group names (`ls -l`, `id`; the password hashes are in shadow, not
# here), how names are looked up, and the time zone (`date`).
_ETC = (
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/localtime",
    "/etc/timezone",
)
# Tools that page, colour or prompt make output the model cannot use, or hang on a missing tty.
_FIXED_ENV = {
    "PATH": SAFE_PATH,
    "HOME": SANDBOX_HOME,
    "TMPDIR": "/tmp",
    "TERM": "dumb",
    "NO_COLOR": "1",
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "GIT_TERMINAL_PROMPT": "0",
}
# Taken from the app's environment: how text and times should look, never anything else.
_PASSED_ENV = re.compile(r"LANG|LANGUAGE|TZ|LC_[A-Z_]+")
_PROBE_TIMEOUT_S = 10.0
_MB = 1024 * 1024


def sandbox_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a sandboxed command: fixed values plus the locale and time zone."""
    env = {name: value for name, value in environ.items() if _PASSED_ENV.fullmatch(name)}
    env.update(_FIXED_ENV)
    return env


@dataclass(frozen=True, slots=True)
class Sandbox:
    """A working bwrap and the limits a command runs under."""

    bwrap: str
    memory_mb: int
    file_size_mb: int
    max_processes: int

    def argv(self, command: str, workspace: Path, environ: Mapping[str, str] | None = None) -> list[str]:
        """The argv that runs `command` with ``sh -c`` in the sandbox, in `workspace`.

        `workspace` must be resolved, with ``.localclaw`` and ``.git`` already there to mount over
        (run it inside :func:`mount_points`): a mount needs a folder to sit on.
        """
        ws = str(workspace)
        args = [
            self.bwrap,
            "--unshare-all",  # user (where possible), pid, net, ipc, uts, cgroup
            "--cap-drop", "ALL",  # as root bwrap would keep them, and could unmount what hides things
            "--die-with-parent",
            "--new-session",
            "--hostname", "sandbox",
        ]  # fmt: skip
        for path in _SYSTEM:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for path in _ETC:
            args += ["--ro-bind-try", path, path]
        # /tmp before the workspace: a workspace under /tmp is bound into the fresh /tmp.
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        args += ["--bind", ws, ws]
        data = _mount_target(workspace, DATA_DIR_NAME)
        if data is not None:
            args += (
                ["--tmpfs", data, "--remount-ro", data]
                if os.path.isdir(data)
                else ["--ro-bind", "/dev/null", data]
            )
        git = _mount_target(workspace, ".git")
        if git is not None:
            args += ["--ro-bind", git, git]
        args += ["--chdir", ws, "--clearenv"]
        for name, value in sorted(sandbox_env(os.environ if environ is None else environ).items()):
            args += ["--setenv", name, value]
        return [
            *args,
            "--",
            "prlimit",
            f"--as={self.memory_mb * _MB}",
            f"--fsize={self.file_size_mb * _MB}",
            f"--nproc={self.max_processes}",
            "--",
            "sh",
            "-c",
            command,
        ]


def _mount_target(workspace: Path, name: str) -> str | None:
    """Where to mount over `workspace/name`, or None for nothing to protect.

    None when it is missing (:func:`mount_points` could not make it, so the command, with the same
    rights and fewer, cannot either: a read-only workspace) or a link that leads out of the
    workspace (its target is not in the sandbox). A link's own entry can still be replaced by the
    command: only real folders are fully protected.
    """
    path = workspace / name
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        return str(target) if target.is_relative_to(workspace) and target.exists() else None
    return str(path) if path.exists() else None


@dataclass(frozen=True, slots=True)
class SandboxStatus:
    sandbox: Sandbox | None
    # Why there is no sandbox (one line, for results and `smallclaw doctor`); "" when there is one.
    reason: str = ""
    # bwrap is there but cannot make namespaces: a kernel setting, not a missing package.
    namespaces_refused: bool = False

    @property
    def ok(self) -> bool:
        return self.sandbox is not None


def probe_sandbox(settings: ToolSettings) -> SandboxStatus:
    """Is there a bwrap (``tools.sandbox_bwrap``, looked up on PATH) that can run a command?

    The answer for one bwrap is found once, by running ``true`` in a real sandbox, and kept.
    """
    found = shutil.which(settings.sandbox_bwrap)
    if found is None:
        return SandboxStatus(None, f"bubblewrap not found ({settings.sandbox_bwrap!r} is not on PATH)")
    bwrap = os.path.realpath(found)
    error, refused = _probe(bwrap)
    if error:
        return SandboxStatus(None, error, namespaces_refused=refused)
    limits = (settings.shell_memory_mb, settings.shell_file_size_mb, settings.shell_max_processes)
    return SandboxStatus(Sandbox(bwrap, *limits))


async def sandbox_status(settings: ToolSettings) -> SandboxStatus:
    """:func:`probe_sandbox` off the event loop (the first probe runs a process)."""
    return await asyncio.to_thread(probe_sandbox, settings)


@functools.lru_cache(maxsize=8)
def _probe(bwrap: str) -> tuple[str, bool]:
    """("", False) when bwrap runs a command; else (why, whether namespaces were refused)."""
    with tempfile.TemporaryDirectory(prefix="smallclaw-probe-") as tmp:
        ws = Path(tmp).resolve()
        for name in (DATA_DIR_NAME, ".git"):
            (ws / name).mkdir()
        argv = Sandbox(bwrap, 256, 1, 64).argv("true", ws, environ={})
        try:
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=_PROBE_TIMEOUT_S,
                env={"PATH": SAFE_PATH},
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"bubblewrap ({bwrap}) did not run: {e}", False
    if done.returncode == 0:
        return "", False
    said = done.stderr.decode(errors="replace").strip().splitlines()
    first = said[0] if said else f"exit {done.returncode}"
    refused = any(word in first.lower() for word in ("namespace", "uid map", "permission", "not permitted"))
    return f"bubblewrap ({bwrap}) cannot make a sandbox here: {first}", refused


# --- mount points -------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def mount_points(workspace: Path) -> AsyncIterator[None]:
    """While a sandbox runs, ``.localclaw`` and ``.git`` exist in `workspace` to be mounted over.

    ``.localclaw`` is the app's own folder and stays. An empty ``.git`` (a mount point, no
    repository) is removed again once no sandbox of any process uses the workspace: removing a
    mount point under a running sandbox would drop its read-only mount there. Every sandbox holds
    a shared lock on the workspace folder while it runs; the removal takes it exclusively, or skips.
    """
    fd = os.open(workspace, os.O_RDONLY | os.O_DIRECTORY)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_SH)
        for name in (DATA_DIR_NAME, ".git"):
            path = workspace / name
            if not path.exists() and not path.is_symlink():
                with contextlib.suppress(OSError):  # a read-only workspace: see _mount_target
                    path.mkdir()
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            _remove_if_unused(workspace, workspace / ".git")
    finally:
        os.close(fd)


def _remove_if_unused(workspace: Path, folder: Path) -> None:
    # Whoever made it: an empty .git is no repository, only a mount point left from a sandbox.
    if folder.is_symlink() or not folder.is_dir() or any(folder.iterdir()):
        return
    fd = os.open(workspace, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another sandbox runs here; the last one out removes it
    else:
        with contextlib.suppress(OSError):  # not empty (it cannot be, read-only), or gone already
            folder.rmdir()
    finally:
        os.close(fd)  # closing drops the lock
