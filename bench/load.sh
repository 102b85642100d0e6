#!/usr/bin/env bash
# Load benchmark of the real stack (bench/LOAD.md): gunicorn + a Celery worker + PostgreSQL +
# Redis on 127.0.0.1, seeded with 100k experts and 10k briefs, loaded with wrk.
#
#   bench/load.sh                 # fresh database, 3 rounds of 15 s per endpoint
#   DURATION=10 ROUNDS=1 bench/load.sh
#
# Settings (environment): DURATION (s per run, 15), WARMUP (s, 2), ROUNDS (3), CONNECTIONS
# (10), WORKERS (gunicorn processes, cores + 1), WORKER_CLASS (sync), THREADS (1), KEEP_ALIVE (2),
# PORT (8123),
# LOAD_DB (kaigan_load: dropped and created again unless REUSE_DB=1), REDIS_DB (12),
# EXPERTS (100000), BRIEFS (10000), ENDPOINTS (a subset of the names below).
#
# Each round measures every endpoint once, each right after a run of the bare DRF view (one
# indexed query), and the bare view once more at the end: an endpoint's ratio is its
# requests/s over the mean of the bare runs around it, so that a busy minute on this shared
# machine hits both sides alike. Figures are medians over rounds. Output: a table, then one
# JSON line (last line); every run's raw figures go to bench/results/.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
BIN=$ROOT/.venv/bin

DURATION=${DURATION:-15}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-10}
# As production runs it (gunicorn.conf.py): one sync worker per core, plus one.
WORKERS=${WORKERS:-$(($(nproc) + 1))}
WORKER_CLASS=${WORKER_CLASS:-sync}
THREADS=${THREADS:-1}
KEEP_ALIVE=${KEEP_ALIVE:-2}
PORT=${PORT:-8123}
LOAD_DB=${LOAD_DB:-kaigan_load}
REUSE_DB=${REUSE_DB:-0}
REDIS_DB=${REDIS_DB:-12}
EXPERTS=${EXPERTS:-100000}
BRIEFS=${BRIEFS:-10000}
PG_HOST=127.0.0.1
PG_PORT=5432

case $LOAD_DB in
  *load*) ;;
  *) echo "LOAD_DB must name a bench database (with 'load' in its name): it is dropped" >&2; exit 2 ;;
esac

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/results/load-$STAMP
mkdir -p "$OUT"
BASE=http://127.0.0.1:$PORT

# --- what this run starts, and stops at the end --------------------------------------------
GUNICORN_PID=""
WORKER_PID=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # Each was started with setsid, so its process group holds it and its children.
  for pid in $GUNICORN_PID $WORKER_PID; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in $GUNICORN_PID $WORKER_PID; do
    for _ in $(seq 1 100); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[load %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- services and tools ----------------------------------------------------------------------
if ! pg_isready -q -h $PG_HOST -p $PG_PORT; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

# --- the environment of every process: production settings, plain http on loopback ----------
export DJANGO_SETTINGS_MODULE=kaigan.settings.bench
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1
export DATABASE_URL=postgres://kaigan:kaigan@$PG_HOST:$PG_PORT/$LOAD_DB
export REDIS_URL=redis://127.0.0.1:6379/$REDIS_DB
export CELERY_QUEUE=kaigan-load
export CACHE_KEY_PREFIX=kaigan-load
# Mail is stored in the worker's memory, not sent; no SMTP server here.
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
# One user hammers each endpoint: raise its throttles. A per-second window keeps DRF's
# throttle history (one list per user in Redis) as short as production's 600/min one.
export THROTTLE_USER=1000000/s
export THROTTLE_BRIEF_POST=1000000/s
export LOG_LEVEL=WARNING
# Production's money settings (billing): a throwaway key and account, nothing is paid here.
export KAIGAN_FIELD_ENCRYPTION_KEY=bT1tZ0Z1bmRzQmVuY2hLZXlPbmx5MDEyMzQ1Njc4OTA=
export KAIGAN_BANK_ACCOUNT_NAME="Kaigan bench" KAIGAN_BANK_NAME="Bench bank"
export KAIGAN_BANK_ACCOUNT_NUMBER=6222000000000000
# --- database: fresh (or reused), seeded -------------------------------------------------------
psql_admin() { psql -h $PG_HOST -p $PG_PORT -U postgres -qAt "$@"; }
if [ "$REUSE_DB" != 1 ] || [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$LOAD_DB'")" ]; then
  log "creating database $LOAD_DB"
  psql_admin -c "DROP DATABASE IF EXISTS $LOAD_DB WITH (FORCE)"
  psql_admin -c "CREATE DATABASE $LOAD_DB OWNER kaigan"
fi
redis-cli -n "$REDIS_DB" flushdb >/dev/null
log "collectstatic, migrate"
# First: production's manifest storage must know the files before the URLconf loads.
"$PY" manage.py collectstatic --noinput -v0
"$PY" manage.py migrate --noinput -v0
have=$(psql -h $PG_HOST -p $PG_PORT -U kaigan -qAt "$LOAD_DB" -c \
  "SELECT count(*) FROM experts_expert e JOIN accounts_user u ON u.id = e.user_id WHERE u.email LIKE 'bench-%@bench.example.com'")
if [ "$have" -lt "$EXPERTS" ]; then
  log "loading $((EXPERTS - have)) experts"
  "$PY" manage.py bench_load_experts --experts $((EXPERTS - have))
fi
log "seeding $BRIEFS briefs"
"$PY" manage.py bench_seed_briefs --briefs "$BRIEFS" | tee "$OUT/seed.txt" >&2
SEED_JSON=$(tail -n 1 "$OUT/seed.txt")
# As autovacuum leaves the tables of a database in service: rows just loaded in bulk are in no
# visibility map yet, so each count of a tenant's briefs would read them from the heap.
log "vacuum"
psql -h $PG_HOST -p $PG_PORT -U kaigan -qAt "$LOAD_DB" -c "VACUUM (ANALYZE)"
seed() { "$PY" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$SEED_JSON" "$1"; }
PASSWORD=$(seed password)
STARTUP_EMAIL=$(seed startup_email)
PM_EMAIL=$(seed pm_email)
DETAIL_BRIEF=$(seed detail_brief)
PM_BRIEF=$(seed pm_brief)
BARE_TAG=$(psql -h $PG_HOST -p $PG_PORT -U kaigan -qAt "$LOAD_DB" -c "SELECT min(id) FROM experts_tag")
# --- the stack ---------------------------------------------------------------------------------
log "starting the Celery worker and gunicorn ($WORKERS $WORKER_CLASS workers x $THREADS threads)"
setsid "$BIN/celery" -A kaigan worker -Q "$CELERY_QUEUE" --concurrency=1 --loglevel=INFO \
  --without-gossip --without-mingle >"$OUT/worker.log" 2>&1 &
WORKER_PID=$!
# With gthread and keep-alive, one worker tends to accept all of wrk's 10 long-lived connections
# and the others idle (bench/LOAD.md): sync workers answer one request per connection.
setsid "$BIN/gunicorn" kaigan.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --worker-class "$WORKER_CLASS" --threads "$THREADS" --keep-alive "$KEEP_ALIVE" \
  --log-level warning >"$OUT/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 150); do
  curl -fs -o /dev/null "$BASE/healthz/" && grep -q "ready" "$OUT/worker.log" && break
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/healthz/" || { log "gunicorn did not start"; cat "$OUT/gunicorn.log" >&2; exit 1; }
grep -q "ready" "$OUT/worker.log" || { log "the worker did not start"; cat "$OUT/worker.log" >&2; exit 1; }

# --- logins, through the real endpoints ----------------------------------------------------------
token_for() {
  curl -fsS -X POST "$BASE/api/v1/auth/token/" -H 'Content-Type: application/json' \
    -d "{\"email\": \"$1\", \"password\": \"$PASSWORD\"}" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
STARTUP_TOKEN=$(token_for "$STARTUP_EMAIL")
PM_TOKEN=$(token_for "$PM_EMAIL")
JAR=$OUT/cookies.txt
csrf=$(curl -fsS -c "$JAR" "$BASE/accounts/login/" | sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -fsS -o /dev/null -b "$JAR" -c "$JAR" -X POST "$BASE/accounts/login/" \
  --data-urlencode "csrfmiddlewaretoken=$csrf" --data-urlencode "login=$STARTUP_EMAIL" \
  --data-urlencode "password=$PASSWORD"
SESSION=$(awk '$6 == "sessionid" { print $7 }' "$JAR")
[ -n "$SESSION" ] || { log "the startup's browser login failed"; exit 1; }

# --- endpoints: name, expected status, wrk arguments -------------------------------------------
# ENDPOINTS may name a subset, space-separated (bare_drf is needed for the ratios).
read -r -a ENDPOINTS <<<"${ENDPOINTS:-hello bare_drf signed_in_drf brief_list brief_detail_page pm_matches brief_post}"
set_args() { # sets ARGS (wrk's script, headers and URL) and EXPECT for one endpoint
  EXPECT=200
  case $1 in
    hello) ARGS=(-s bench/wrk_common.lua "$BASE/bench/hello/") ;;
    bare_drf) ARGS=(-s bench/wrk_common.lua "$BASE/bench/tag/$BARE_TAG/") ;;
    signed_in_drf)
      ARGS=(-s bench/wrk_common.lua -H "Authorization: Token $STARTUP_TOKEN"
        "$BASE/bench/signed-in-tag/$BARE_TAG/")
      ;;
    brief_list)
      ARGS=(-s bench/wrk_common.lua -H "Authorization: Token $STARTUP_TOKEN" "$BASE/api/v1/briefs/")
      ;;
    brief_detail_page)
      ARGS=(-s bench/wrk_common.lua -H "Cookie: sessionid=$SESSION" "$BASE/briefs/$DETAIL_BRIEF/")
      ;;
    pm_matches)
      ARGS=(-s bench/wrk_common.lua -H "Authorization: Token $PM_TOKEN"
        "$BASE/api/v1/briefs/$PM_BRIEF/matches/")
      ;;
    brief_post)
      ARGS=(-s bench/wrk_post_brief.lua -H "Authorization: Token $STARTUP_TOKEN" "$BASE/api/v1/briefs/")
      EXPECT=201
      ;;
  esac
}
run_wrk() { # seconds: one wrk run of the endpoint set by set_args
  WRK_EXPECT=$EXPECT wrk -t1 -c"$CONNECTIONS" -d"${1}s" --timeout 5s "${ARGS[@]}"
}

# Each endpoint answers as expected once before it is loaded.
for name in "${ENDPOINTS[@]}"; do
  set_args "$name"
  out=$(run_wrk 1 | grep '^WRK_JSON')
  case $out in
    *'"unexpected_status": 0,'*) ;;
    *) log "$name answers an unexpected status: $out"; exit 1 ;;
  esac
done

# Waits until the worker has nothing queued or running (ranking of posted briefs).
drain_worker() {
  for _ in $(seq 1 600); do
    local queued unacked
    queued=$(redis-cli -n "$REDIS_DB" llen "$CELERY_QUEUE")
    unacked=$(redis-cli -n "$REDIS_DB" hlen unacked)
    [ "$queued" = 0 ] && [ "$unacked" = 0 ] && return 0
    sleep 0.5
  done
  log "the worker still has $queued queued and $unacked running tasks"
}

# One measured run of the endpoint named $1 in round $2: warm-up, run, one JSON line kept.
measure() {
  set_args "$1"
  run_wrk "$WARMUP" >/dev/null
  local line load
  line=$(run_wrk "$DURATION" | tee -a "$OUT/wrk.txt" | grep '^WRK_JSON' | cut -d' ' -f2-)
  load=$(cut -d' ' -f1 /proc/loadavg)
  echo "{\"round\": $2, \"endpoint\": \"$1\", \"load1\": $load, \"wrk\": $line}" >>"$RESULTS"
  log "round $2 $1: $line"
  if [ "$1" = brief_post ]; then
    drain_worker
  fi
}

# Other work on this shared machine comes and goes within minutes: the bare DRF view is run
# before every other endpoint and once more at the end of each round, so that each endpoint's
# ratio compares it with bare runs measured right before and right after it.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS=$OUT/runs.jsonl
: >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${ENDPOINTS[@]}"; do
    [ "$name" = bare_drf ] && continue
    measure bare_drf "$round"
    measure "$name" "$round"
  done
  measure bare_drf "$round"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ----------------------------------------------------------------------------------
CONDITIONS=$(
  cat <<EOF
{"git": "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo '+dirty')",
 "cores": $(nproc), "load_before": "$LOAD_BEFORE", "load_after": "$LOAD_AFTER",
 "gunicorn": "$WORKERS $WORKER_CLASS workers x $THREADS threads, keep-alive $KEEP_ALIVE s",
 "celery": "1 process",
 "wrk": "1 thread, $CONNECTIONS connections, ${DURATION}s after ${WARMUP}s warm-up",
 "rounds": $ROUNDS, "experts": $EXPERTS, "briefs": $BRIEFS,
 "pm_brief_matches": $(seed pm_brief_matches), "startup_briefs": $(seed startup_briefs)}
EOF
)
"$PY" - "$RESULTS" "$CONDITIONS" <<'PYEOF' | tee "$OUT/report.txt"
import json
import statistics
import sys

runs = [json.loads(line) for line in open(sys.argv[1])]
conditions = json.loads(sys.argv[2])
median = statistics.median
# Each run's ratio: its requests/s over the mean of the bare DRF runs just before and after it.
ratios, order, by = {}, [], {}
for i, run in enumerate(runs):
    name = run["endpoint"]
    if name not in by:
        order.append(name)
    by.setdefault(name, []).append(run["wrk"])
    if name == "bare_drf":
        continue
    around = [r["wrk"]["rps"] for r in runs[i - 1 : i + 2 : 2] if r["endpoint"] == "bare_drf"]
    ratios.setdefault(name, []).append(run["wrk"]["rps"] / statistics.mean(around))
TARGETS = {"hello": None, "bare_drf": None, "signed_in_drf": None, "brief_post": 0.25}
order = ["bare_drf"] + [name for name in order if name != "bare_drf"]
rows = []
for name in order:
    wrk = by[name]
    ratio = 1.0 if name == "bare_drf" else median(ratios[name])
    target = TARGETS.get(name, 0.5)
    p99 = median(r["p99_ms"] for r in wrk)
    post = name == "brief_post"
    ok = None if target is None else (ratio >= target and (post or p99 < 100))
    rows.append(
        {
            "endpoint": name,
            "rps": round(median(r["rps"] for r in wrk), 1),
            "p50_ms": round(median(r["p50_ms"] for r in wrk), 2),
            "p99_ms": round(p99, 2),
            "ratio_to_bare_drf": round(ratio, 3),
            "ratio_runs": [round(x, 3) for x in ratios.get(name, [])],
            "rps_runs": [r["rps"] for r in wrk],
            "target": None
            if target is None
            else f">= {target:.2f}x" + ("" if post else ", p99 < 100 ms"),
            "meets_target": ok,
            "unexpected_status": sum(r["unexpected_status"] for r in wrk),
        }
    )
print("medians over runs; x bare: median of each run's ratio to the bare DRF runs around it")
print(f"{'endpoint':<19}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'x bare':>8}  target")
for r in rows:
    verdict = "" if r["meets_target"] is None else ("ok" if r["meets_target"] else "MISSED")
    print(
        f"{r['endpoint']:<19}{r['rps']:>8.1f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
        f"{r['ratio_to_bare_drf']:>8.3f}  {r['target'] or ''} {verdict}"
    )
print("runs, req/s: " + "; ".join(f"{r['endpoint']} {r['rps_runs']}" for r in rows))
print(json.dumps({"bench": "load", "conditions": conditions, "endpoints": rows}, ensure_ascii=False))
PYEOF
log "raw figures in ${OUT#"$ROOT"/}"
