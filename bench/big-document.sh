#!/usr/bin/env bash
# A 100 MB npm package document (9,000 versions, bench/make_big_packument.py) served warm by
# Larder beside nginx serving the same file, in one run: full and abbreviated, one client and
# four in parallel, from the cache within its TTL and with TTL 0 (each request revalidated,
# nginx answering 304); plus the cold first requests, gzip, and Larder's peak resident memory.
# Goals (issue 9): within 3 times nginx's time, abbreviated under a tenth of the full size,
# peak memory under 300 MB.
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need curl curl
UP=18681 LARDER=18682 LARDER0=18683
VERSIONS=${VERSIONS:-9000}
LARDER_BIN=$(build_larder)
rm -rf "$OUT/bigdoc" && mkdir -p "$OUT/bigdoc/www/npm"
python3 "$BENCH_DIR/make_big_packument.py" bigdoc "$VERSIONS" "$OUT/bigdoc/www/npm/bigdoc.json"
start_nginx $UP "$OUT/bigdoc/www"
serve() {  # serve PORT TTL: a Larder in front of nginx; prints its pid
  "$LARDER_BIN" serve --listen 127.0.0.1:"$1" --data-dir "$OUT/bigdoc/data-$1" --upstream npm=http://127.0.0.1:$UP/npm \
    --metadata-ttl "$2" --log-level error >/dev/null 2>&1 &
  echo $!
}
LPID=$(serve $LARDER 300); PIDS+=($LPID)
L0PID=$(serve $LARDER0 0); PIDS+=($L0PID)
wait_port $LARDER; wait_port $LARDER0

ABBREV='Accept: application/vnd.npm.install-v1+json'
get() {  # get PORT [HEADER...]: one request; prints "seconds bytes status"
  local port=$1 headers=()
  shift
  for h in "$@"; do [ -n "$h" ] && headers+=(-H "$h"); done
  curl -s -o /dev/null --max-time 300 "${headers[@]}" -w '%{time_total} %{size_download} %{http_code}\n' "http://127.0.0.1:$port/npm/bigdoc"
}
one() { for _ in 1 2 3 4 5; do get "$@"; done | cut -d' ' -f1 | median; }           # median of 5 sequential
four() { for _ in 1 2 3 4; do get "$@" & done | cut -d' ' -f1 | sort -n | tail -1; }  # slowest of 4 at once
size() { get "$@" | cut -d' ' -f2; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
echo "document: $(stat -c %s "$OUT/bigdoc/www/npm/bigdoc.json") bytes, $VERSIONS versions"
cold() {  # cold PORT: the first requests of each variant, each fetching or rendering once
  echo "cold, TTL $2: full $(get $1 | cut -d' ' -f1) s, abbreviated $(get $1 "$ABBREV" | cut -d' ' -f1) s, full gzipped $(get $1 'Accept-Encoding: gzip' | cut -d' ' -f1) s, abbreviated gzipped $(get $1 "$ABBREV" 'Accept-Encoding: gzip' | cut -d' ' -f1) s"
}
peak_rss_during $LPID cold $LARDER 300 > "$OUT/bigdoc/cold"
head -n -1 "$OUT/bigdoc/cold"
echo "peak RSS during the cold requests: $(tail -1 "$OUT/bigdoc/cold") MiB"
cold $LARDER0 0
echo "sizes: full $(size $LARDER), abbreviated $(size $LARDER "$ABBREV"), full gzipped $(size $LARDER 'Accept-Encoding: gzip'), abbreviated gzipped $(size $LARDER "$ABBREV" 'Accept-Encoding: gzip' 2>/dev/null || true)"

rows() {  # rows "LABEL|PORT|HEADER"...: the warm times of each, against nginx's
  for row in "$@"; do
    IFS='|' read -r label port header <<<"$row"
    local l1 l4
    l1=$(one "$port" "$header"); l4=$(four "$port" "$header")
    printf '%-34s %9s %9s   %.2f x / %.2f x nginx\n' "$label" "$l1" "$l4" "$(echo "$l1 / $N1" | bc -l)" "$(echo "$l4 / $N4" | bc -l)"
  done
}
N1=$(one $UP); N4=$(four $UP)
printf '%-34s %9s %9s\n' "warm" "1 client" "4 at once" "nginx, the file as is" "$N1" "$N4"
peak_rss_during $LPID rows "Larder TTL 300, full|$LARDER|" "Larder TTL 300, abbreviated|$LARDER|$ABBREV" > "$OUT/bigdoc/ttl300"
peak_rss_during $L0PID rows "Larder TTL 0 (304), full|$LARDER0|" "Larder TTL 0 (304), abbreviated|$LARDER0|$ABBREV" > "$OUT/bigdoc/ttl0"
head -n -1 "$OUT/bigdoc/ttl300"; head -n -1 "$OUT/bigdoc/ttl0"
echo "peak RSS during the warm runs: TTL 300 $(tail -1 "$OUT/bigdoc/ttl300") MiB, TTL 0 $(tail -1 "$OUT/bigdoc/ttl0") MiB (goal under 300)"
