#!/usr/bin/env bash
# Ours against ../shared/bench/ceiling-sql on one engine, in one run, as
# ratios (best of REPS of each scenario, each server on a fresh database).
#
#   benches/http/compare.sh sqlite
#   benches/http/compare.sh postgres postgres://USER@127.0.0.1:PORT/postgres
#
# Environment: N [5000] users seeded, DURATION [5] s per run, REPS [3],
# SCENARIOS [filter get patch group_add post], GROUP_SIZE [2000],
# SHARED [../shared], CARGO_TARGET_DIR [/tmp/rel-target] (release builds
# kept apart from the debug target so a build here never waits on tests),
# SERVER_ARGS: extra flags for the example server.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
ENGINE="${1:?usage: compare.sh sqlite|postgres [ADMIN_URL]}"
PG_URL="${2-}"
export N="${N:-5000}" DURATION="${DURATION:-5}" REPS="${REPS:-3}" GROUP_SIZE="${GROUP_SIZE:-2000}"
export SCENARIOS="${SCENARIOS:-filter get patch group_add post}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/rel-target}"
OUT="${OUT:-/tmp/compare-$ENGINE-$(date +%H%M%S)}"
mkdir -p "$OUT"
TOKEN=benchtoken

(cd "$ROOT" && cargo build --release -q -p scim-example-axum)
cargo build --release -q --manifest-path "$SHARED/bench/ceiling-sql/Cargo.toml"

fresh_db() { # NAME: a URL of an empty database
    case "$ENGINE" in
    sqlite) rm -f "/tmp/$1.db" "/tmp/$1.db-wal" "/tmp/$1.db-shm"; echo "sqlite:///tmp/$1.db" ;;
    postgres)
        psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
        echo "${PG_URL%/*}/$1" ;;
    *) echo "engine: sqlite or postgres" >&2; exit 2 ;;
    esac
}

wait_up() { # PORT
    for _ in $(seq 1 200); do
        curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/scim/v2/Users?count=1" && return 0
        sleep 0.1
    done
    echo "server on $1 did not start" >&2; return 1
}

run() { # LABEL PORT CMD...
    local label=$1 port=$2; shift 2
    "$@" >"$OUT/$label.log" 2>&1 &
    local pid=$!
    wait_up "$port"
    OUT="$OUT/$label" LABEL="$label" bash "$SHARED/bench/bench.sh" "http://127.0.0.1:$port/scim/v2" "$TOKEN" "$pid" \
        >"$OUT/$label.txt" 2>"$OUT/$label.err" || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

url=$(fresh_db ceil_bench)
run ceiling 18081 env DATABASE_URL="$url" PORT=18081 SCIM_TOKEN=$TOKEN "$CARGO_TARGET_DIR/release/ceiling-sql"
url=$(fresh_db scim_bench)
# shellcheck disable=SC2086
run ours 18082 env RUST_LOG=warn "$CARGO_TARGET_DIR/release/scim-example-axum" --listen 127.0.0.1:18082 \
    --token $TOKEN --admin-token admin-bench --database "$url" ${SERVER_ARGS:-}

python3 - "$OUT" "$ENGINE" <<'PY'
import json, sys, os
out, engine = sys.argv[1], sys.argv[2]
def best(label):
    b = {}
    p = os.path.join(out, label, "results.jsonl")
    for line in open(p) if os.path.exists(p) else []:
        r = json.loads(line)
        if r["err_status"] == 0:
            b[r["scenario"]] = max(b.get(r["scenario"], 0), r["rps"])
    return b
c, o = best("ceiling"), best("ours")
print(f"{engine}: best of reps, req/s (ratio = ours / ceiling-sql)")
print("| scenario | ceiling-sql | ours | ratio |")
print("|---|---|---|---|")
for s in ["filter", "get", "patch", "list", "group_add", "post"]:
    if s in c or s in o:
        r = o.get(s, 0) / c[s] if c.get(s) else float("nan")
        print(f"| {s} | {c.get(s, 0):.0f} | {o.get(s, 0):.0f} | {r:.2f} |")
PY
echo "raw results: $OUT"
