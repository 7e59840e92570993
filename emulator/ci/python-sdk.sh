#!/usr/bin/env bash
# Drives the emulator with the official Python SDK (sprites-py 0.7.2), unchanged.
#
# Usage: emulator/ci/python-sdk.sh [--isolation auto|plain|overlay]
# Installs the SDK into a virtualenv, builds and starts the emulator on an ephemeral port,
# runs emulator/tests/python/test_sdk.py against it, and exits non-zero on failure.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
isolation="auto"
if [[ "${1:-}" == "--isolation" ]]; then isolation="${2:?--isolation needs a value}"; fi

work="$(mktemp -d)"
emu_pid=""
cleanup() {
  if [[ -n "$emu_pid" ]] && kill -0 "$emu_pid" 2>/dev/null; then
    kill -INT "$emu_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$emu_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$emu_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "sprites-py==0.7.2"

cargo build --locked --quiet -p sprites-emulator --bin sprites-emulator
bin="$root/target/debug/sprites-emulator"

"$bin" --listen 127.0.0.1:0 --ephemeral --isolation "$isolation" >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!

url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's/^SPRITES_EMULATOR_URL=//p' "$work/emu.out")"
  [[ -n "$url" ]] && break
  kill -0 "$emu_pid" 2>/dev/null || { cat "$work/emu.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { echo "emulator did not print its URL" >&2; exit 1; }
token="$(sed -n 's/^SPRITES_EMULATOR_TOKEN=//p' "$work/emu.out")"
echo "emulator at $url ($(sed -n 's/^SPRITES_EMULATOR_ISOLATION=//p' "$work/emu.out") isolation)"

status=0
SPRITES_EMULATOR_URL="$url" SPRITES_EMULATOR_TOKEN="$token" \
  timeout 300 "$work/venv/bin/python" "$root/emulator/tests/python/test_sdk.py" || status=$?
if [[ $status -ne 0 ]]; then
  echo "--- emulator stderr ---" >&2
  cat "$work/emu.err" >&2
fi
exit $status
