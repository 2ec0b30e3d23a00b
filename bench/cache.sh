#!/usr/bin/env bash
# Measures `namedcred call` with a cached access token against the same call
# with --no-cache, which exchanges first, on a loopback token endpoint and
# API. Prints the median time of each and their ratio from the same run.
#
# Usage: bench/cache.sh [RUNS]
#   RUNS              calls per variant (default 50)
#   TOKEN_DELAY_MS    time the token endpoint waits before it responds
#                     (default 0: pure loopback, the least a real endpoint costs)
#   PROFILE=release   measure the release build instead of the debug build
#
# Uses hyperfine when installed, else (or with BENCH_TOOL=loop) a bash loop
# timed with date +%s%N.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-50}
delay_ms=${TOKEN_DELAY_MS:-0}
profile=${PROFILE:-debug}

if [[ $profile == release ]]; then
    cargo build --quiet --release
else
    cargo build --quiet
fi
binary=$PWD/target/$profile/namedcred

work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A token endpoint at /token and an API under /v1, on a free loopback port
# that the server writes to $work/port.tmp once it listens.
cat >"$work/server.py" <<'PY'
import http.server, json, sys, time

delay = int(sys.argv[2]) / 1000

class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(delay)
        self.reply(200, {"access_token": "bench-token", "token_type": "Bearer", "expires_in": 3600})

    def do_GET(self):
        ok = self.headers.get("Authorization") == "Bearer bench-token"
        self.reply(200 if ok else 401, {"ok": ok})

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as port_file:
    port_file.write(str(server.server_address[1]))
server.serve_forever()
PY
python3 "$work/server.py" "$work/port.tmp" "$delay_ms" &
server_pid=$!
for _ in $(seq 100); do
    [[ -s $work/port.tmp ]] && break
    sleep 0.05
done
port=$(cat "$work/port.tmp")

cat >"$work/credentials.toml" <<EOF
[credentials.bench]
protocol = "jwt-exchange"
url = "http://127.0.0.1:$port/v1"
token_endpoint = "http://127.0.0.1:$port/token"
issuer = "bench-client"
subject = "bench-user"
key_path = "$PWD/tests/fixtures/ec-p256-pkcs8.pem"
EOF
export NAMEDCRED_CONFIG=$work/credentials.toml
export NAMEDCRED_CACHE_DIR=$work/cache

cached=("$binary" call bench /items)
uncached=("$binary" call bench /items --no-cache)
"${cached[@]}" >/dev/null # fills the cache

# Prints the median of the millisecond times on stdin.
median_ms() {
    sort -n | awk '
        { t[NR] = $1 }
        END {
            m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
            printf "%.2f", m
        }'
}

# Runs both variants in turns, so that load from other programs hits both
# alike, and writes one millisecond time per call to $work/cached.ms and
# $work/no-cache.ms.
time_in_turns() {
    local start end
    for _ in $(seq "$runs"); do
        start=$(date +%s%N)
        "${cached[@]}" >/dev/null
        end=$(date +%s%N)
        echo "scale=3; ($end - $start) / 1000000" | bc >>"$work/cached.ms"
        start=$(date +%s%N)
        "${uncached[@]}" >/dev/null
        end=$(date +%s%N)
        echo "scale=3; ($end - $start) / 1000000" | bc >>"$work/no-cache.ms"
    done
}

# The median is reported rather than the mean, because on a shared machine
# a few calls that wait for the CPU pull the mean far up.
if [[ ${BENCH_TOOL:-} != loop ]] && command -v hyperfine >/dev/null; then
    tool="hyperfine $(hyperfine --version | cut -d' ' -f2)"
    # --shell=none runs the binary directly, so no shell start-up is
    # subtracted from calls that take only a few milliseconds. hyperfine
    # then splits each command at spaces, which the temporary paths lack.
    hyperfine --shell=none --style none --warmup 3 --runs "$runs" \
        --export-json "$work/result.json" \
        --command-name cached "${cached[*]}" \
        --command-name no-cache "${uncached[*]}" >/dev/null 2>&1
    read -r cached_ms uncached_ms < <(python3 - "$work/result.json" <<'PY'
import json, sys
results = {r["command"]: r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
print(f'{results["cached"]:.2f} {results["no-cache"]:.2f}')
PY
)
else
    tool="bash loop with date +%s%N, variants in turns"
    time_in_turns
    cached_ms=$(median_ms <"$work/cached.ms")
    uncached_ms=$(median_ms <"$work/no-cache.ms")
fi

echo "namedcred call on loopback, $profile build, $runs runs each, token delay ${delay_ms} ms ($tool)"
echo "  cached token:  median ${cached_ms} ms"
echo "  --no-cache:    median ${uncached_ms} ms"
printf '  ratio (--no-cache / cached): %.2f\n' "$(echo "scale=4; $uncached_ms / $cached_ms" | bc)"
