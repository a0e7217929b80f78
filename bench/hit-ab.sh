#!/usr/bin/env bash
# Cache hits of two Larder builds side by side with nginx, in one run, to tell a regression
# from a different machine: bench/hit-ab.sh OLD_LARDER_BINARY [NEW_LARDER_BINARY]
# (the new one defaults to this tree's release build). Each size is measured nginx, old, new,
# old, new; the ratios are to nginx.
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need wrk wrk
need curl curl
OLD=${1:?usage: bench/hit-ab.sh OLD_LARDER_BINARY [NEW_LARDER_BINARY]}
NEW=${2:-$(build_larder)}
UP=18481 A=18482 B=18483
rm -rf "$OUT/ab" && mkdir -p "$OUT/ab"
python3 "$BENCH_DIR/make_fixtures.py" --out "$OUT/ab" --port $UP --packages 1
start_nginx $UP "$OUT/ab/www"
# Older builds took --upstream-npm; newer ones --upstream npm=URL.
flag() { if "$1" serve --help 2>&1 | grep -q -- '--upstream-npm'; then echo "--upstream-npm http://127.0.0.1:$UP/npm"; else echo "--upstream npm=http://127.0.0.1:$UP/npm"; fi; }
"$OLD" serve --listen 127.0.0.1:$A --data-dir "$OUT/ab/old" $(flag "$OLD") --log-level warning &
PIDS+=($!)
"$NEW" serve --listen 127.0.0.1:$B --data-dir "$OUT/ab/new" $(flag "$NEW") --log-level warning &
PIDS+=($!)
wait_port $A; wait_port $B

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
printf '%-6s %10s %10s %10s %10s %10s %8s %8s\n' size nginx old1 new1 old2 new2 old/ngx new/ngx
for f in f10k f1m f16m; do
  path=npm/bench-files/-/$f.tgz
  curl -sf -o /dev/null "http://127.0.0.1:$A/$path"; curl -sf -o /dev/null "http://127.0.0.1:$B/$path"
  n=$(rps "http://127.0.0.1:$UP/$path")
  o1=$(rps "http://127.0.0.1:$A/$path"); n1=$(rps "http://127.0.0.1:$B/$path")
  o2=$(rps "http://127.0.0.1:$A/$path"); n2=$(rps "http://127.0.0.1:$B/$path")
  printf '%-6s %10.0f %10.0f %10.0f %10.0f %10.0f %8.2f %8.2f\n' $f "$n" "$o1" "$n1" "$o2" "$n2" \
    "$(echo "($o1 + $o2) / 2 / $n" | bc -l)" "$(echo "($n1 + $n2) / 2 / $n" | bc -l)"
done
