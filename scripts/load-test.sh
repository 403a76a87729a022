#!/usr/bin/env bash
# Load test of q8serve on loopback, and the int8 runtime directly on the same sentences, in one run.
#
#  1. Builds q8serve and q8bench (release); takes the int8 model folder from --model, else
#     runs/quickstart/int8, exported first from runs/quickstart (scripts/quickstart.sh) if needed.
#  2. Starts q8serve (--threads THREADS --batch-size MAX_BATCH --max-wait-ms MAX_WAIT_MS), waits for
#     /readyz, posts one batch of MAX_BATCH sentences and reads its resident memory (VmRSS).
#  3. Direct, before: `q8bench infer-texts` runs the runtime in-process on the same sentences in
#     batches of MAX_BATCH (tokenize + one forward each, file order) for DIRECT_SECONDS.
#  4. wrk drives the server for DURATION seconds over CONNECTIONS connections (WRK_THREADS threads),
#     each request POST /v1/classify with TEXTS_PER_REQUEST real movie sentences from the test set
#     (scripts/load-test.lua), and the server's /metrics before and after give the sequences it ran
#     and its batch sizes.
#  5. The server's VmRSS after the load; direct again (after); SIGTERM, expecting exit status 0.
#  6. Direct once more at the server's mean batch size (its batches are often smaller than
#     MAX_BATCH), for a second, stricter comparison.
#  7. Prints requests/s, sequences/s, p50/p90/p99 latency, errors (non-2xx + socket errors), the
#     direct seq/s, the ratio server/direct (target >= 0.80) and RSS after/before (target <= 1.20).
#     The direct figure is the mean of the runs before and after, so that a change in the machine's
#     load during the run hits both sides alike; both are printed.
#
# usage: scripts/load-test.sh [--model INT8_DIR]
# Environment: DURATION (60), CONNECTIONS (32), WRK_THREADS (2), THREADS (2), MAX_BATCH (32),
#   MAX_WAIT_MS (5), TEXTS_PER_REQUEST (1), DIRECT_SECONDS (30), PORT (18080), RUN (runs/quickstart).
#   Quick check that it works: DURATION=5 DIRECT_SECONDS=3 scripts/load-test.sh --model DIR
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=""
while [ $# -gt 0 ]; do
    case "$1" in
        --model) MODEL="${2:?--model needs a folder}"; shift 2 ;;
        --model=*) MODEL="${1#--model=}"; shift ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument $1 (usage: scripts/load-test.sh [--model INT8_DIR])" >&2; exit 2 ;;
    esac
done
DURATION=${DURATION:-60} CONNECTIONS=${CONNECTIONS:-32} WRK_THREADS=${WRK_THREADS:-2} THREADS=${THREADS:-2}
MAX_BATCH=${MAX_BATCH:-32} MAX_WAIT_MS=${MAX_WAIT_MS:-5} TEXTS_PER_REQUEST=${TEXTS_PER_REQUEST:-1}
DIRECT_SECONDS=${DIRECT_SECONDS:-30} PORT=${PORT:-18080} RUN=${RUN:-runs/quickstart}
DATA=assets/data/movie/test.tsv
URL=http://127.0.0.1:$PORT

Q8_SKIP_BUILD=1 scripts/setup.sh >/dev/null
for product in q8serve q8bench; do
    if ! build=$(swift build -c release --product "$product" 2>&1); then echo "$build" >&2; exit 1; fi
done
if [ -z "$MODEL" ]; then
    if [ -f "$RUN/int8/model.q8.safetensors" ]; then
        MODEL=$RUN/int8
    elif [ -d "$RUN/best" ]; then
        if ! build=$(swift build -c release --product q8train 2>&1); then echo "$build" >&2; exit 1; fi
        .build/release/q8train export --run "$RUN"
        MODEL=$RUN/int8
    else
        echo "error: no int8 model: pass --model INT8_DIR, or run scripts/quickstart.sh (-> $RUN) first" >&2
        exit 1
    fi
fi
[ -f "$MODEL/model.q8.safetensors" ] || { echo "error: $MODEL is not an int8 model folder (no model.q8.safetensors)" >&2; exit 1; }

TMP=$(mktemp -d)
SERVER=""
cleanup() {
    if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then kill "$SERVER"; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# Request bodies: TEXTS_PER_REQUEST sentences each, in file order; and one batch for the warm-up.
python3 - "$DATA" "$TEXTS_PER_REQUEST" "$MAX_BATCH" "$TMP" <<'PY'
import csv, json, sys
path, per, batch, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open(path, newline="", encoding="utf-8") as f:
    sentences = [row["sentence"] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
with open(f"{out}/bodies.jsonl", "w") as f:
    for i in range(0, len(sentences) - per + 1, per):
        f.write(json.dumps({"texts": sentences[i:i + per]}) + "\n")
with open(f"{out}/batch.json", "w") as f:
    json.dump({"texts": sentences[:batch]}, f)
PY

echo "q8serve load test: model $MODEL, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "machine load at start: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min); busiest other processes:"
ps -eo pid,ni,pcpu,etime,comm --sort=-pcpu | sed -n '2,4p' | sed 's/^/    /'

.build/release/q8serve --model "$MODEL" --port "$PORT" --threads "$THREADS" --batch-size "$MAX_BATCH" \
    --max-wait-ms "$MAX_WAIT_MS" 2> "$TMP/server.log" &
SERVER=$!
for _ in $(seq 1 600); do
    curl -sf "$URL/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER" 2>/dev/null || { echo "error: q8serve exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
    sleep 0.2
done
curl -sf "$URL/readyz" >/dev/null || { echo "error: q8serve not ready after 120 s" >&2; cat "$TMP/server.log" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/batch.json" "$URL/v1/classify")
[ "$status" = 200 ] || { echo "error: the warm-up batch got HTTP $status" >&2; exit 1; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER/status"; }
metric() { curl -s "$URL/metrics" | awk -v name="$1" '$1 == name {print $2; found = 1} END {if (!found) print 0}'; }
RSS_START=$(rss_kib)
echo "q8serve pid $SERVER on $URL: --threads $THREADS --batch-size $MAX_BATCH --max-wait-ms $MAX_WAIT_MS;" \
     "RSS after start-up + one batch of $MAX_BATCH: $((RSS_START / 1024)) MiB"

echo
echo "direct, before (q8bench infer-texts, batch $MAX_BATCH, $THREADS threads, ${DIRECT_SECONDS} s):"
DIRECT1=$(THREADS=$THREADS SECONDS=$DIRECT_SECONDS .build/release/q8bench infer-texts "$MODEL" "$DATA" "$MAX_BATCH")
echo "  $DIRECT1"

SEQ0=$(metric q8serve_sequences_total); BCOUNT0=$(metric q8serve_batch_size_count); BSUM0=$(metric q8serve_batch_size_sum)
TOK0=$(metric q8serve_tokens_total); PAD0=$(metric q8serve_padded_tokens_total)
echo
echo "server under load: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, $TEXTS_PER_REQUEST sentence(s) per request:"
Q8_BODIES=$TMP/bodies.jsonl wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
    -s scripts/load-test.lua "$URL" > "$TMP/wrk.txt"
sed 's/^/  /' "$TMP/wrk.txt"
SEQ1=$(metric q8serve_sequences_total); BCOUNT1=$(metric q8serve_batch_size_count); BSUM1=$(metric q8serve_batch_size_sum)
TOK1=$(metric q8serve_tokens_total); PAD1=$(metric q8serve_padded_tokens_total)
RSS_AFTER=$(rss_kib)
STATUS_LINES=$(curl -s "$URL/metrics" | grep '^q8serve_http_requests_total{route="/v1/classify"' || true)

echo
echo "direct, after:"
DIRECT2=$(THREADS=$THREADS SECONDS=$DIRECT_SECONDS .build/release/q8bench infer-texts "$MODEL" "$DATA" "$MAX_BATCH")
echo "  $DIRECT2"
# The server's batches are often smaller than MAX_BATCH (closed-loop clients: while one batch
# runs, the rest of the connections queue the next); the runtime at that size, for comparison.
MEAN_BATCH=$(awk -v s0="$BSUM0" -v s1="$BSUM1" -v c0="$BCOUNT0" -v c1="$BCOUNT1" \
    'BEGIN {b = (c1 > c0) ? (s1 - s0) / (c1 - c0) : 1; b = int(b + 0.5); print (b < 1 ? 1 : b)}')
echo "direct at the server's mean batch size ($MEAN_BATCH):"
DIRECT3=$(THREADS=$THREADS SECONDS=$DIRECT_SECONDS .build/release/q8bench infer-texts "$MODEL" "$DATA" "$MEAN_BATCH")
echo "  $DIRECT3"

kill -TERM "$SERVER"
set +e
wait "$SERVER"
EXIT=$?
set -e
SERVER=""
echo "machine load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# Summary.
result=$(grep '^wrk-result' "$TMP/wrk.txt")
field() { echo "$result" | grep -oE "(^| )$1=[0-9.]+" | cut -d= -f2; }
echo
echo "summary (q8serve on loopback; server and direct measured in this same run):"
awk -v req="$(field requests)" -v us="$(field duration_us)" -v per="$TEXTS_PER_REQUEST" \
    -v seq0="$SEQ0" -v seq1="$SEQ1" -v bc0="$BCOUNT0" -v bc1="$BCOUNT1" -v bs0="$BSUM0" -v bs1="$BSUM1" \
    -v tok0="$TOK0" -v tok1="$TOK1" -v pad0="$PAD0" -v pad1="$PAD1" \
    -v p50="$(field p50_us)" -v p90="$(field p90_us)" -v p99="$(field p99_us)" -v mean="$(field mean_us)" \
    -v non2xx="$(field non2xx)" -v conn="$(field connect)" -v rd="$(field read)" -v wr="$(field write)" -v to="$(field timeout)" \
    -v d1="$(echo "$DIRECT1" | grep -oE '[0-9.]+ seq/s' | cut -d' ' -f1)" \
    -v d2="$(echo "$DIRECT2" | grep -oE '[0-9.]+ seq/s' | cut -d' ' -f1)" \
    -v d3="$(echo "$DIRECT3" | grep -oE '[0-9.]+ seq/s' | cut -d' ' -f1)" -v mb="$MEAN_BATCH" -v maxb="$MAX_BATCH" \
    -v rss0="$RSS_START" -v rss1="$RSS_AFTER" -v code="$EXIT" 'BEGIN {
    s = us / 1e6; seqs = seq1 - seq0; served = seqs / s; direct = (d1 + d2) / 2
    errors = non2xx + conn + rd + wr + to
    printf "  requests/s               %8.1f   (%d requests in %.1f s)\n", req / s, req, s
    printf "  sequences/s              %8.1f   (%d sequences run by the server; requests x %d = %d)\n", served, seqs, per, req * per
    printf "  mean batch size          %8.1f   (%d forwards; mean %.1f tokens per sequence, padded to %.1f)\n", \
        (bs1 - bs0) / ((bc1 - bc0) > 0 ? (bc1 - bc0) : 1), bc1 - bc0, (tok1 - tok0) / (seqs > 0 ? seqs : 1), (pad1 - pad0) / (seqs > 0 ? seqs : 1)
    printf "  latency p50 / p90 / p99  %6.1f / %.1f / %.1f ms   (mean %.1f ms)\n", p50 / 1e3, p90 / 1e3, p99 / 1e3, mean / 1e3
    printf "  errors                   %8d   (non-2xx %d; socket: connect %d, read %d, write %d, timeout %d)   target 0: %s\n", \
        errors, non2xx, conn, rd, wr, to, (errors == 0 ? "met" : "NOT MET")
    printf "  direct runtime seq/s     %8.1f   (batch %d, the server'"'"'s --batch-size: before %.1f, after %.1f; no HTTP)\n", direct, maxb, d1, d2
    printf "  server / direct          %8.2f   target >= 0.80: %s\n", served / direct, (served / direct >= 0.80 ? "met" : "NOT MET")
    printf "  direct at batch %-3d      %8.1f   (the server'"'"'s mean batch size, after the load); server / that %.2f\n", mb, d3, served / d3
    printf "  RSS start-up+1 batch     %8.1f MiB\n", rss0 / 1024
    printf "  RSS after the load       %8.1f MiB   after/before %.3f, target <= 1.20: %s\n", rss1 / 1024, rss1 / rss0, \
        (rss1 / rss0 <= 1.20 ? "met" : "NOT MET")
    printf "  exit status on SIGTERM   %8d   target 0: %s\n", code, (code == 0 ? "met" : "NOT MET")
}'
echo "  /v1/classify answers by status (server metrics):"
echo "$STATUS_LINES" | sed 's/^/    /'
