#!/usr/bin/env bash
# Runs README's start command (`npm start`) in a fresh clone of this repository, probes
# discovery and the 401 challenge on /mcp, then stops it with SIGTERM and expects a clean exit.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null; rm -rf "$work"' EXIT
git clone -q "$src" "$work/postern"
cd "$work/postern"
npm ci --no-audit --no-fund --silent
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# Own process group, so that stopping it reaches npm, its shell and node like Ctrl-C would.
POSTERN_PORT=$port setsid npm start > "$work/out.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 60); do
  curl -m 10 -fsS "$base/.well-known/oauth-authorization-server" > "$work/as.json" 2>/dev/null && break
  sleep 0.5
done
fail() { echo "smoke: $*"; cat "$work/out.log"; exit 1; }
grep -q "\"issuer\":\"$base\"" "$work/as.json" || fail "discovery does not name the issuer"
curl -m 10 -fsS "$base/.well-known/oauth-protected-resource/mcp" | grep -q "\"resource\":\"$base/mcp\"" || fail "no protected-resource metadata"
status=$(curl -m 10 -s -o /dev/null -w '%{http_code}' -X POST "$base/mcp")
[ "$status" = 401 ] || fail "/mcp without a token answered $status, expected 401"
grep -q 'password:' "$work/out.log" || fail "the first start did not print the initial password"
curl -m 10 -fsS "$base/healthz" | grep -q '"ready":1' || fail "the demo backend is not ready"
kill -TERM -- "-$pid"
for _ in $(seq 1 20); do pgrep -g "$pid" > /dev/null || break; sleep 0.5; done
pgrep -g "$pid" > /dev/null && fail "postern did not stop on SIGTERM"
curl -m 10 -s -o /dev/null "$base/healthz" && fail "the port still answers after SIGTERM"
grep -q '"msg":"shutting down"' "$work/out.log" || fail "no orderly shutdown in the log"
pid=
echo "smoke: npm start served discovery, protected-resource metadata and the 401 challenge, and stopped cleanly"
