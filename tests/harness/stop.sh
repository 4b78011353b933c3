#!/usr/bin/env bash
# Stops the local AWS endpoint started by tests/harness/start.sh, by the PID in target/moto.pid:
# SIGTERM (clean shutdown, about 1 s), up to 5 s of waiting, then SIGKILL. Removes the pid and
# endpoint files. Does nothing when no harness is running; never kills a process that is not
# the harness (a stale pid file whose PID was reused).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pid_file=$root/target/moto.pid
endpoint_file=$root/target/moto.endpoint

# True while $1 is a live (not zombie) moto harness process.
alive() {
  [ -r "/proc/$1/stat" ] || return 1
  # field 3 of /proc/PID/stat is the state; the command name (field 2) may hold spaces, so cut after ')'
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)
  [ "$state" != Z ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q moto_harness.py
}

if [ ! -s "$pid_file" ]; then
  rm -f "$pid_file" "$endpoint_file"
  exit 0
fi
pid=$(cat "$pid_file")

if alive "$pid"; then
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    echo "stop.sh: harness (pid $pid) still running after 5 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  if alive "$pid"; then
    echo "stop.sh: could not stop the harness (pid $pid)" >&2
    exit 1
  fi
fi
rm -f "$pid_file" "$endpoint_file"
