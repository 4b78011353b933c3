#!/usr/bin/env bash
# Starts the local AWS endpoint (tests/harness/moto_harness.py) in the background.
#
#   tests/harness/start.sh          # prints the endpoint, e.g. http://127.0.0.1:41234
#   export AWS_ENDPOINT_URL=$(cat target/moto.endpoint) AWS_ACCESS_KEY_ID=testing \
#          AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
#   tests/harness/stop.sh
#
# Writes target/moto.pid (the python process itself), target/moto.endpoint (written by the
# harness once the server answers) and target/moto.log. Needs .venv-moto (created by .ci/run, or
# `python3 -m venv .venv-moto && .venv-moto/bin/pip install -r tests/harness/requirements.txt`).
# If a harness started here is still running, prints its endpoint and leaves it alone.
#
# Environment: MOTO_VENV (default .venv-moto), MOTO_START_TIMEOUT seconds (default 60),
# MOTO_HARNESS_PORT (default 0: the kernel picks a free port).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
venv=${MOTO_VENV:-$root/.venv-moto}
timeout=${MOTO_START_TIMEOUT:-60}
pid_file=target/moto.pid
endpoint_file=target/moto.endpoint
log_file=target/moto.log

if [ ! -x "$venv/bin/python" ]; then
  echo "start.sh: no Python venv at $venv; create it with:" >&2
  echo "  python3 -m venv .venv-moto && .venv-moto/bin/pip install -r tests/harness/requirements.txt" >&2
  exit 1
fi

mkdir -p target
if [ -s "$pid_file" ] && [ -s "$endpoint_file" ] \
  && tr '\0' ' ' <"/proc/$(cat "$pid_file")/cmdline" 2>/dev/null | grep -q moto_harness.py; then
  echo "start.sh: already running (pid $(cat "$pid_file"))" >&2
  cat "$endpoint_file"
  exit 0
fi

"$root/tests/harness/stop.sh" # a half-started or stale harness of ours
# Python is started directly, so $! is the server itself (not a subshell) and stop.sh can kill it by PID.
"$venv/bin/python" tests/harness/moto_harness.py --endpoint-file "$endpoint_file" \
  </dev/null >"$log_file" 2>&1 &
pid=$!
echo "$pid" >"$pid_file"

deadline=$((SECONDS + timeout))
until [ -s "$endpoint_file" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: the harness exited before answering; target/moto.log:" >&2
    cat "$log_file" >&2
    rm -f "$pid_file"
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "start.sh: the harness did not come up within ${timeout}s; target/moto.log:" >&2
    cat "$log_file" >&2
    "$root/tests/harness/stop.sh" >&2 || true
    exit 1
  fi
  sleep 0.1
done
cat "$endpoint_file"
