#!/usr/bin/env bash
# Measures the release build of namedcred against the tools a script would
# use instead: curl with a fixed bearer token, jwt-cli and PyJWT. Starts
# nginx on loopback as the API and the token endpoint, runs each pair of
# commands in turns and prints every figure as the median of the per-pair
# ratios, so that load from other programs hits both sides alike.
#
# Usage: bench/run.sh [PAIRS]
#   PAIRS          timed pairs per comparison (default 40)
#   NAMEDCRED_BIN  measure this binary instead of building target/release
#
# Installs what is missing: nginx, hyperfine, time and valgrind with
# apt-get, jwt-cli with cargo into bench/out/tools, PyJWT into a virtual
# environment in bench/out/venv. Everything it writes goes to bench/out.
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=${1:-40}
root=$PWD
out=$root/bench/out
fixtures=$root/tests/fixtures
mkdir -p "$out"

# --- Tools -----------------------------------------------------------------

# Installs the Debian packages that are missing, updating the package lists
# only when something has to be installed.
install_packages() {
    local missing=() package
    for package in nginx hyperfine time valgrind; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "installing ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# Installs jwt-cli from crates.io and PyJWT with its cryptography backend,
# both into bench/out.
install_peers() {
    if [[ ! -x $out/tools/bin/jwt ]]; then
        echo "installing jwt-cli into $out/tools" >&2
        cargo install jwt-cli --locked --quiet --root "$out/tools"
    fi
    if [[ ! -x $out/venv/bin/python ]] || ! "$out/venv/bin/python" -c 'import jwt' 2>/dev/null; then
        echo "installing PyJWT into $out/venv" >&2
        python3 -m venv "$out/venv"
        "$out/venv/bin/pip" install --quiet 'PyJWT[crypto]'
    fi
}

install_packages
install_peers
if [[ -n ${NAMEDCRED_BIN:-} ]]; then
    binary=$(realpath "$NAMEDCRED_BIN")
else
    cargo build --release --quiet
    binary=$root/target/release/namedcred
fi
jwt_cli=$out/tools/bin/jwt
python=$out/venv/bin/python

# --- nginx on loopback -----------------------------------------------------

nginx_pid=
cleanup() {
    if [[ -n $nginx_pid ]]; then
        kill "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fixed_token=bench-access-token
mkdir -p "$out/www/api" "$out/nginx-temp"
printf '{"items":[{"id":1,"name":"first"},{"id":2,"name":"second"}]}\n' >"$out/www/api/items"

# The API is a static file. nginx replies 405 to a POST to a static file,
# so the token endpoint returns its fixed reply with `return`.
cat >"$out/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $out/nginx.pid;
error_log $out/nginx-error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $out/nginx-temp/body;
    proxy_temp_path $out/nginx-temp/proxy;
    fastcgi_temp_path $out/nginx-temp/fastcgi;
    uwsgi_temp_path $out/nginx-temp/uwsgi;
    scgi_temp_path $out/nginx-temp/scgi;
    server {
        listen 127.0.0.1:$port;
        location /api/ {
            root $out/www;
            default_type application/json;
        }
        location = /token {
            default_type application/json;
            return 200 '{"access_token":"$fixed_token","token_type":"Bearer","expires_in":3600}';
        }
    }
}
EOF
nginx -c "$out/nginx.conf" -p "$out" &
nginx_pid=$!
for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/api/items" && break
    sleep 0.05
done

# --- namedcred configuration -------------------------------------------------

cat >"$out/credentials.toml" <<EOF
[credentials.es256]
protocol = "jwt"
url = "http://127.0.0.1:$port/api"
issuer = "bench-client"
subject = "bench-user"
audience = "https://api.example.com"
key_path = "$fixtures/ec-p256-pkcs8.pem"

[credentials.rs256]
protocol = "jwt"
url = "http://127.0.0.1:$port/api"
issuer = "bench-client"
subject = "bench-user"
audience = "https://api.example.com"
key_path = "$fixtures/rsa2048-pkcs8.pem"

[credentials.exchange]
protocol = "jwt-exchange"
url = "http://127.0.0.1:$port/api"
token_endpoint = "http://127.0.0.1:$port/token"
issuer = "bench-client"
subject = "bench-user"
key_path = "$fixtures/ec-p256-pkcs8.pem"
EOF
export NAMEDCRED_CONFIG=$out/credentials.toml
export NAMEDCRED_CACHE_DIR=$out/cache
rm -rf "$NAMEDCRED_CACHE_DIR"
if ! "$binary" call exchange /items >/dev/null; then # fills the token cache
    echo "bench: $binary call exchange /items failed against nginx on port $port" >&2
    exit 1
fi

api=http://127.0.0.1:$port/api/items
curl_get=(curl -sS -H "Authorization: Bearer $fixed_token" "$api")
assertion=$("$binary" token exchange)

# jwt-cli and PyJWT sign the same claims as namedcred: iss, sub, aud, iat,
# exp and jti, with the same key.
jwt_cli_cmd() {
    local alg=$1 key=$2
    echo "$jwt_cli" encode --alg "$alg" --secret "@$key" --iss bench-client --sub bench-user \
        --aud https://api.example.com --exp=+300s --jti bench
}
pyjwt_script='
import sys, time, uuid, jwt
alg, path = sys.argv[1], sys.argv[2]
now = int(time.time())
claims = {"iss": "bench-client", "sub": "bench-user", "aud": "https://api.example.com",
          "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
print(jwt.encode(claims, open(path, "rb").read(), algorithm=alg))
'

# --- Timing ------------------------------------------------------------------

# Runs command A and command B (strings split at spaces, so no argument
# may contain one) PAIRS times in turns, A first in odd pairs and B first
# in even pairs, and prints "median-ratio median-A-ms median-B-ms".
# Each time is taken with bash's $EPOCHREALTIME around the process, which
# adds no process of its own to the interval.
paired() {
    local a=$1 b=$2 i t0 t1 t2 ta tb
    local -a times=()
    for ((i = 0; i < pairs; i++)); do
        if ((i % 2 == 0)); then
            t0=$EPOCHREALTIME; $a >/dev/null; t1=$EPOCHREALTIME; $b >/dev/null; t2=$EPOCHREALTIME
            ta=$(elapsed_us "$t0" "$t1"); tb=$(elapsed_us "$t1" "$t2")
        else
            t0=$EPOCHREALTIME; $b >/dev/null; t1=$EPOCHREALTIME; $a >/dev/null; t2=$EPOCHREALTIME
            tb=$(elapsed_us "$t0" "$t1"); ta=$(elapsed_us "$t1" "$t2")
        fi
        times+=("$ta $tb")
    done
    printf '%s\n' "${times[@]}" | awk '
        function median(v, n,   i, j, t) {
            for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
            return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        }
        { r[NR] = $1 / $2; a[NR] = $1; b[NR] = $2 }
        END { printf "%.3f %.2f %.2f\n", median(r, NR), median(a, NR) / 1000, median(b, NR) / 1000 }'
}

# Prints the microseconds between two $EPOCHREALTIME values.
elapsed_us() {
    local start=${1/[.,]/} end=${2/[.,]/}
    echo $((10#$end - 10#$start))
}

# Runs one comparison and prints its line of the result table. Both
# commands must succeed once first, so that no failure is timed.
compare() {
    local label=$1 target=$2 a=$3 b=$4 ratio a_ms b_ms
    if ! $a >/dev/null || ! $b >/dev/null; then
        echo "bench: a command of \"$label\" failed; nothing was timed" >&2
        exit 1
    fi
    read -r ratio a_ms b_ms < <(paired "$a" "$b")
    printf '| %s | %s ms | %s ms | %sx | %s |\n' "$label" "$a_ms" "$b_ms" "$ratio" "$target"
}

# A file-based PyJWT command line, since paired() splits at spaces.
printf '%s' "$pyjwt_script" >"$out/pyjwt_encode.py"
pyjwt="$python $out/pyjwt_encode.py"

# curl's arguments contain no spaces once the header is one word, so the
# bearer header is written to a file that curl reads with -H @file.
printf 'Authorization: Bearer %s\n' "$fixed_token" >"$out/bearer-header"
curl_get_cmd="curl -sS -H @$out/bearer-header $api"
printf 'grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=%s' "$assertion" >"$out/token-request"
curl_post_cmd="curl -sS --data-binary @$out/token-request http://127.0.0.1:$port/token"

echo "namedcred bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $pairs pairs per row"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
echo
echo "| comparison (A vs B) | A median | B median | A/B (median of pair ratios) | target |"
echo "|---|---|---|---|---|"
compare "call jwt ES256 vs curl" "<= 0.35x" "$binary call es256 /items" "$curl_get_cmd"
compare "call jwt RS256 vs curl" "<= 0.5x" "$binary call rs256 /items" "$curl_get_cmd"
compare "call jwt-exchange, warm cache, vs curl" "<= 0.35x" "$binary call exchange /items" "$curl_get_cmd"
compare "token ES256 vs jwt-cli" "< 1x" "$binary token es256" "$(jwt_cli_cmd ES256 "$fixtures/ec-p256-pkcs8.pem")"
compare "token RS256 vs jwt-cli" "" "$binary token rs256" "$(jwt_cli_cmd RS256 "$fixtures/rsa2048-pkcs8.pem")"
compare "token ES256 vs PyJWT process" "<= 0.1x" "$binary token es256" "$pyjwt ES256 $fixtures/ec-p256-pkcs8.pem"
compare "token RS256 vs PyJWT process" "" "$binary token rs256" "$pyjwt RS256 $fixtures/rsa2048-pkcs8.pem"
compare "exchange (cold) vs curl POST" "" "$binary exchange exchange" "$curl_post_cmd"
echo "load after: $(uptime | sed 's/.*load average/load average/')"
echo

# --- Memory, size and instructions -------------------------------------------

# Prints the maximum resident set size of a command in KiB.
max_rss_kib() {
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
}
for name in es256 rs256 exchange; do
    echo "peak RSS, call $name: $(max_rss_kib "$binary" call "$name" /items) KiB (target < 10240)"
done
echo "peak RSS, curl: $(max_rss_kib "${curl_get[@]}") KiB"
echo "binary: $binary, $(stat -c %s "$binary") bytes"

callgrind_out=$out/callgrind.token-es256.out
valgrind --tool=callgrind --callgrind-out-file="$callgrind_out" "$binary" token es256 \
    >/dev/null 2>"$out/callgrind.log"
instructions=$(awk '/^(summary|totals):/ { print $2; exit }' "$callgrind_out")
echo "instructions, token es256 (callgrind): $instructions"
# aws-lc's CPU jitter entropy functions are named jent_*. None may run,
# because .cargo/config.toml builds aws-lc to seed from getrandom.
if callgrind_annotate --threshold=100 "$callgrind_out" 2>/dev/null | grep -q 'jent_'; then
    echo "warning: CPU jitter entropy ran; AWS_LC_SYS_NO_JITTER_ENTROPY did not take effect"
else
    echo "entropy: seeded from the operating system (no jent_ function ran)"
fi
