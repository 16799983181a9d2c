#!/usr/bin/env bash
# Real small models on llama.cpp, for the `real_model` test tier and the `real` benchmark profile.
#
#   scripts/real-model.sh setup MODEL    fetch + verify the GGUF, install the llama.cpp runtime (cached)
#   scripts/real-model.sh start MODEL    start an OpenAI-compatible server on a free loopback port; prints the URL
#   scripts/real-model.sh stop           stop the server started by `start` (by its PID)
#   scripts/real-model.sh status         is a server running, and where
#   scripts/real-model.sh env            `export SMALLCLAW_LLM__*` lines for the running server (eval them)
#   scripts/real-model.sh tier           run `pytest -m real_model` against the running server
#   scripts/real-model.sh ci             setup + start smollm2-135m, run the tier, stop; non-zero on any failure
#
# MODEL: smollm2-135m | qwen2.5-coder-0.5b | qwen2.5-coder-1.5b. Everything is cached under
# ${XDG_CACHE_HOME:-~/.cache}/smallclaw (never in the repo). Environment knobs:
#   REAL_MODEL_CTX (server context, default 4096), REAL_MODEL_THREADS (default: all cores),
#   REAL_MODEL_PORT (default: a free port), REAL_MODEL_CHAT_FORMAT (default chatml-tools; "gguf" for
#   the model file's own template, or any llama-cpp-python format such as chatml-function-calling),
#   REAL_MODEL_SERVER_ARGS (more llama_cpp.server flags, split on spaces, e.g. "--cache true"),
#   REAL_MODEL_FORCE_TOOL=1 (protocol mode: a user message naming one tool gets that tool forced;
#   `ci` sets it, benchmarks never do), PYTHON (interpreter for the runtime venv and the helper, default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/smallclaw"
VENV="$CACHE/llama-venv"

use_run_dir() {
  RUN_DIR="$1"
  PID_FILE="$RUN_DIR/server.pid"
  URL_FILE="$RUN_DIR/server.url"
  MODEL_FILE="$RUN_DIR/server.model"
  LOG_FILE="$RUN_DIR/server.log"
}
# Where start/stop/status keep the server's PID, URL and log.
use_run_dir "${REAL_MODEL_RUN_DIR:-$CACHE/run}"
PY="${PYTHON:-python3}"
HELPER="$ROOT/scripts/real_models.py"
LLAMA_VERSION="0.3.36"
# Portable x86-64 build: the cached wheel must also run on the next CI machine, whose CPU may differ.
PORTABLE_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
CI_MODEL="smollm2-135m"

log() { echo "real-model: $*" >&2; }
die() { log "$*"; exit 1; }

check_model() {
  local names
  names="$("$PY" "$HELPER" names | tr '\n' ' ')"
  [ $# -ge 1 ] || die "MODEL missing; one of: $names"
  case " $names " in
    *" $1 "*) ;;
    *) die "unknown model '$1'; one of: $names" ;;
  esac
}

runtime_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$LLAMA_VERSION" <<'EOF' 2>/dev/null
import sys
import importlib.metadata as md
import llama_cpp, uvicorn, fastapi, sse_starlette, pydantic_settings  # noqa: F401  (the [server] extra)
sys.exit(0 if md.version("llama_cpp_python") == sys.argv[1] else 1)
EOF
}

install_runtime() {
  if runtime_ok; then
    log "runtime: llama-cpp-python $LLAMA_VERSION already in $VENV"
    return 0
  fi
  mkdir -p "$CACHE"
  # One compile at a time: two on 2 cores take twice as long and starve everything else.
  exec 9>"$CACHE/runtime.lock"
  if ! flock -n 9; then
    log "runtime: another setup is installing it; waiting"
    flock 9
  fi
  if runtime_ok; then
    flock -u 9
    return 0
  fi
  local started=$SECONDS
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  log "runtime: installing llama-cpp-python[server]==$LLAMA_VERSION into $VENV"
  log "runtime: the first build compiles llama.cpp (about 9 min on 2 cores); pip caches the wheel for next time"
  # pip's wheel cache is keyed by the sdist, so a later install (new venv, fresh clone) reuses the
  # wheel built here with the same portable flags.
  CMAKE_ARGS="$PORTABLE_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "llama-cpp-python[server]==$LLAMA_VERSION"
  runtime_ok || die "runtime: installed, but llama_cpp.server does not import; see the pip output above"
  log "runtime: ready in $((SECONDS - started))s"
  flock -u 9
}

cmd_setup() {
  check_model "$@"
  "$PY" "$HELPER" fetch "$1" >/dev/null
  install_runtime
  log "setup done: $1 at $("$PY" "$HELPER" path "$1")"
}

server_pid() {
  # The PID file only counts while that process is alive and still our server.
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q "llama_serve.py" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

cmd_start() {
  check_model "$@"
  local name="$1" gguf port ctx threads pid url fmt mode=plain
  local -a fmt_args=()
  if pid="$(server_pid)"; then
    die "a server is already running (pid $pid, $(cat "$MODEL_FILE") at $(cat "$URL_FILE")); run: $0 stop"
  fi
  gguf="$("$PY" "$HELPER" path "$name")" || exit 1
  runtime_ok || die "runtime missing; run: $0 setup $name"
  port="${REAL_MODEL_PORT:-$("$PY" "$HELPER" free-port)}"
  ctx="${REAL_MODEL_CTX:-4096}"
  # llama-cpp-python defaults to half the cores; on a 2-core box that halves decode speed.
  threads="${REAL_MODEL_THREADS:-$(nproc)}"
  # chatml-tools (defined in llama_serve.py) rather than chatml-function-calling, which cannot
  # stream a tool call nor show tool results to the model; "gguf" = the model file's own template.
  fmt="${REAL_MODEL_CHAT_FORMAT:-chatml-tools}"
  [ "$fmt" = "gguf" ] || fmt_args=(--chat_format "$fmt")
  # Protocol mode for the 135M smoke tier; see llama_serve.py. Never used for benchmarks.
  if [ "${REAL_MODEL_FORCE_TOOL:-0}" = "1" ]; then
    mode=force-named-tool
    fmt_args+=(--force-named-tool)
  fi
  local -a extra_args=()
  read -r -a extra_args <<<"${REAL_MODEL_SERVER_ARGS:-}"
  mkdir -p "$RUN_DIR"
  url="http://127.0.0.1:$port"
  # setsid: the server outlives this shell and its process group, and `stop` ends only it.
  # --model_alias: /v1/models then lists the name the app is configured with.
  setsid "$VENV/bin/python" "$ROOT/scripts/llama_serve.py" \
    --model "$gguf" --model_alias "$name" "${fmt_args[@]}" \
    --host 127.0.0.1 --port "$port" \
    --n_ctx "$ctx" --n_threads "$threads" --n_threads_batch "$threads" \
    "${extra_args[@]}" \
    </dev/null >"$LOG_FILE" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$url" >"$URL_FILE"
  echo "$name" >"$MODEL_FILE"
  echo "$mode" >"$RUN_DIR/server.mode"
  local started=$SECONDS
  if ! "$PY" "$HELPER" wait "$url" 120 "$pid"; then
    log "server did not answer $url/v1/models; last log lines:"
    tail -n 20 "$LOG_FILE" >&2 || true
    cmd_stop >/dev/null 2>&1 || true
    exit 1
  fi
  log "$name serving at $url (pid $pid, n_ctx $ctx, $threads threads, format $fmt, mode $mode, ready in $((SECONDS - started))s; log $LOG_FILE)"
  echo "$url"
}

cmd_stop() {
  local pid
  if ! pid="$(server_pid)"; then
    rm -f "$PID_FILE"
    log "no server running"
    return 0
  fi
  kill "$pid"
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  # Still there after 5 s: it is stuck in a long decode; a model server holds no state worth saving.
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  log "stopped server pid $pid"
}

cmd_status() {
  local pid
  if pid="$(server_pid)"; then
    echo "running: $(cat "$MODEL_FILE") at $(cat "$URL_FILE") (pid $pid)"
  else
    echo "not running"
    return 1
  fi
}

cmd_env() {
  server_pid >/dev/null || die "no server running; run: $0 start MODEL"
  echo "export SMALLCLAW_LLM__API=openai"
  echo "export SMALLCLAW_LLM__BASE_URL=$(cat "$URL_FILE")"
  echo "export SMALLCLAW_LLM__MODEL=$(cat "$MODEL_FILE")"
  echo "export SMALLCLAW_LLM__NUM_CTX=${REAL_MODEL_CTX:-4096}"
  echo "export SMALLCLAW_REAL_URL=$(cat "$URL_FILE")"
  echo "export SMALLCLAW_REAL_MODEL=$(cat "$MODEL_FILE")"
}

cmd_tier() {
  server_pid >/dev/null || die "no server running; run: $0 start $CI_MODEL"
  local pytest="$ROOT/.venv/bin/pytest"
  if [ "$(cat "$RUN_DIR/server.mode" 2>/dev/null)" != "force-named-tool" ]; then
    log "warning: the server was not started with REAL_MODEL_FORCE_TOOL=1; SmolLM2-135M will not call tools on its own"
  fi
  [ -x "$pytest" ] || die "no $pytest; create the project venv first (see README)"
  # REAL_MODEL_STRICT: a skipped test is a failure here (the server is up, so a skip means a bug).
  (
    cd "$ROOT"
    SMALLCLAW_REAL_URL="$(cat "$URL_FILE")" SMALLCLAW_REAL_MODEL="$(cat "$MODEL_FILE")" \
      SMALLCLAW_REAL_CTX="${REAL_MODEL_CTX:-4096}" SMALLCLAW_REAL_STRICT=1 \
      "$pytest" -m real_model tests/real -p no:cacheprovider -q -rs "$@"
  )
}

cmd_ci() {
  local started=$SECONDS rc=0
  # A run dir of its own: a server someone started by hand is neither reused nor stopped.
  use_run_dir "$CACHE/ci-$$"
  cmd_setup "$CI_MODEL"
  log "ci: setup took $((SECONDS - started))s"
  REAL_MODEL_FORCE_TOOL=1 cmd_start "$CI_MODEL" >/dev/null
  # Stop the server whatever happens next; the tier's exit status is what CI reports.
  trap 'cmd_stop >/dev/null 2>&1 || true' EXIT
  cmd_tier || rc=$?
  if [ "$rc" -ne 0 ]; then
    log "ci: the tier failed; last server log lines:"
    tail -n 15 "$LOG_FILE" >&2 || true
  fi
  cmd_stop
  trap - EXIT
  rm -rf "$RUN_DIR"
  log "ci: real-model tier finished in $((SECONDS - started))s with status $rc"
  return "$rc"
}

main() {
  [ $# -ge 1 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
  local cmd="$1"
  shift
  case "$cmd" in
    setup) cmd_setup "$@" ;;
    fetch) check_model "$@"; "$PY" "$HELPER" fetch "$1" ;;
    runtime) install_runtime ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    tier) cmd_tier "$@" ;;
    ci) cmd_ci ;;
    -h | --help | help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$cmd' (setup, start, stop, status, env, tier, ci)" ;;
  esac
}

main "$@"
