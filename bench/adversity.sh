#!/usr/bin/env bash
# Larder against a misbehaving upstream on loopback (bench/adversity_upstream.py):
# (1) resident memory while 8 clients at once get answers that never end (each cut off at
#     max_metadata_mb), then 8 large valid package documents at once (held to
#     metadata_memory_mb); goal: under the budget plus 100 MB;
# (2) the time to serve a stale document once the upstream falls silent; goal: under
#     revalidation_deadline plus 100 ms.
source "$(dirname "$0")/lib.sh"
need curl curl
UP=18581 LARDER=18582
BUDGET_MB=1024 DEADLINE=1
LARDER_BIN=$(build_larder)
rm -rf "$OUT/adversity" && mkdir -p "$OUT/adversity"
FLAG="$OUT/adversity/silent"
python3 "$BENCH_DIR/adversity_upstream.py" --port $UP --big-mb 60 --silent-flag "$FLAG" &
PIDS+=($!)
wait_port $UP
"$LARDER_BIN" serve --listen 127.0.0.1:$LARDER --data-dir "$OUT/adversity/data" --log-level error \
  --upstream npm=http://127.0.0.1:$UP/npm --upstream pypi=http://127.0.0.1:$UP/simple \
  --metadata-ttl 0 --revalidation-deadline $DEADLINE --max-metadata-mb 256 --metadata-memory-mb $BUDGET_MB &
LPID=$!
PIDS+=($LPID)
wait_port $LARDER

eight() {  # eight KIND: 8 concurrent requests for /npm/KIND-1..8; prints their statuses
  for i in $(seq 1 8); do curl -s -o /dev/null -w '%{http_code}\n' --max-time 300 "http://127.0.0.1:$LARDER/npm/$1-$i" > "$OUT/adversity/$1-$i.status" & done
  wait
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
echo "Larder RSS at rest: $(rss $LPID) MiB; metadata_memory_mb $BUDGET_MB, max_metadata_mb 256"
peak=$(peak_rss_during $LPID eight endless)
echo "8 endless answers at once: peak RSS $peak MiB; statuses: $(cat "$OUT"/adversity/endless-*.status | sort | uniq -c | xargs)"
peak=$(peak_rss_during $LPID eight big)
echo "8 valid 60 MiB documents at once: peak RSS $peak MiB; statuses: $(cat "$OUT"/adversity/big-*.status | sort | uniq -c | xargs)"
echo "goal: peak under $((BUDGET_MB + 100)) MiB plus memory_cache_mb (256 MiB of cached objects and renderings)"

curl -sf -o /dev/null "http://127.0.0.1:$LARDER/pypi/simple/slow/"
touch "$FLAG"
times=()
for _ in $(seq 1 10); do
  times+=("$(curl -s -o /dev/null -w '%{time_total} %{http_code}' "http://127.0.0.1:$LARDER/pypi/simple/slow/")")
done
rm -f "$FLAG"
printf '%s\n' "${times[@]}" | awk -v d=$DEADLINE '{ s += $1; if ($1 > max) max = $1; codes[$2]++ } END {
  printf "stale answers from a silent upstream: mean %.3f s, max %.3f s (goal under %.1f s); statuses:", s / NR, max, d + 0.1
  for (c in codes) printf " %d x %s", codes[c], c; print "" }'
