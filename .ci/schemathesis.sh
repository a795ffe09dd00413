#!/usr/bin/env bash
# Schemathesis against a seeded demo server on loopback: every operation of the OpenAPI document,
# with a bearer token of each role, must answer without a server error and as its schema says.
# Session-ending operations run last, in a run of their own, so each token survives the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
PYOTP_VERSION=2.12.0
VENV="${VIAL_SCHEMATHESIS_VENV:-$PWD/target/schemathesis-venv}"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION" \
  || ! "$VENV/bin/python" -c "from importlib.metadata import version; assert version('pyotp') == '$PYOTP_VERSION'" 2>/dev/null; then
  echo "Installing schemathesis $SCHEMATHESIS_VERSION and pyotp $PYOTP_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" "pyotp==$PYOTP_VERSION"
fi

cargo build -q -p vial
work="$(mktemp -d)"
server=""
report="$PWD/target/schemathesis-report"
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$report"; mkdir -p "$report"
  cp "$work"/*.har "$work/server.log" "$report/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The binary `cargo build` left, wherever CARGO_TARGET_DIR puts it.
vial="${CARGO_TARGET_DIR:-$PWD/target}/debug/vial"
"$vial" --data-dir "$work/data" demo seed >"$work/seed.json"
port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$vial" --data-dir "$work/data" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!

"$VENV/bin/python" .ci/schemathesis_roles.py \
  --base "https://127.0.0.1:$port" --seed "$work/seed.json" --work "$work" \
  --schemathesis "$VENV/bin/schemathesis" \
  --max-examples "${VIAL_SCHEMATHESIS_MAX_EXAMPLES:-10}" \
  || { echo "-- server log (last 40 lines)"; tail -n 40 "$work/server.log"; exit 1; }
