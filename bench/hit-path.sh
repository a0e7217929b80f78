#!/usr/bin/env bash
# Cache hits: Larder serving artifacts from its cache beside nginx (sendfile) serving the same
# files, measured with wrk in one run; then Larder's resident memory while 20 clients download a
# 1 GiB artifact, cold (one upstream download teed to all 20) and warm (20 reads from disk).
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need wrk wrk
need curl curl
UP=18181 LARDER=18182
LARDER_BIN=$(build_larder)
rm -rf "$OUT/hit" && mkdir -p "$OUT/hit"
python3 "$BENCH_DIR/make_fixtures.py" --out "$OUT/hit" --port $UP --packages 1 --big
start_nginx $UP "$OUT/hit/www"
"$LARDER_BIN" serve --listen 127.0.0.1:$LARDER --data-dir "$OUT/hit/data" --upstream npm=http://127.0.0.1:$UP/npm --log-level warning &
LPID=$!
PIDS+=($LPID)
wait_port $LARDER

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
printf '%-6s %11s %9s %9s %11s %9s %9s %7s %9s\n' size nginx_req/s p50_ms p99_ms larder_req/s p50_ms p99_ms ratio p99_ratio
for f in f10k f1m f16m; do
  curl -sf -o /dev/null "http://127.0.0.1:$LARDER/npm/bench-files/-/$f.tgz"   # fill the cache
  read -r n n50 n99 nt <<<"$(wrk_stats "http://127.0.0.1:$UP/npm/bench-files/-/$f.tgz")"
  read -r l l50 l99 lt <<<"$(wrk_stats "http://127.0.0.1:$LARDER/npm/bench-files/-/$f.tgz")"
  printf '%-6s %11.0f %9.2f %9.2f %11.0f %9.2f %9.2f %7.2f %9.2f%s\n' "$f" "$n" "$n50" "$n99" "$l" "$l50" "$l99" \
    "$(echo "$l / $n" | bc -l)" "$(echo "$l99 / $n99" | bc -l)" "$([ "$nt$lt" != 00 ] && echo "  timeouts: nginx $nt, larder $lt")"
done
[ -n "${HIT_ONLY:-}" ] && exit 0

twenty() {
  for _ in $(seq 1 20); do curl -sf -o /dev/null "http://127.0.0.1:$LARDER/npm/bench-files/-/f1g.tgz" & done
  wait
}
echo "larder RSS before: $(( $(awk '/VmRSS/ {print $2}' /proc/$LPID/status) / 1024 )) MiB"
echo "peak RSS, 20 clients, 1 GiB, cold: $(peak_rss_during $LPID twenty) MiB"
echo "peak RSS, 20 clients, 1 GiB, warm: $(peak_rss_during $LPID twenty) MiB"
