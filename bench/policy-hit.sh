#!/usr/bin/env bash
# What package rules cost a cache hit, in one run: a cached 10 KiB tarball and a cached package
# document from nginx, from Larder with no rules, from Larder with a rule on the package (a
# block of a version it does not serve, so the document is filtered and the tarball checked),
# from Larder in declared-only mode with the package declared, and from Larder with a 3-day
# cooldown (the fixture's versions are years old, so all are served).
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need wrk wrk
need curl curl
LARDER_BIN=$(build_larder)
UP=18495 PLAIN=18496 RULED=18497 DECLARED=18498 COOLED=18499
rm -rf "$OUT/policy" && mkdir -p "$OUT/policy"
python3 "$BENCH_DIR/make_fixtures.py" --out "$OUT/policy" --port $UP --packages 1
start_nginx $UP "$OUT/policy/www"
"$LARDER_BIN" block 'pkg:npm/bench-files@9.9.9' --note "bench: a rule on the package" --data-dir "$OUT/policy/ruled" >/dev/null
"$LARDER_BIN" declare pkg:npm/bench-files --note "bench: declared" --data-dir "$OUT/policy/declared" >/dev/null
for spec in "$PLAIN plain open 0" "$RULED ruled open 0" "$DECLARED declared declared-only 0" "$COOLED cooled open 3d"; do
  set -- $spec
  "$LARDER_BIN" serve --listen 127.0.0.1:$1 --data-dir "$OUT/policy/$2" --upstream npm=http://127.0.0.1:$UP/npm --mode "$3" --cooldown-default "$4" --log-level warning &
  PIDS+=($!)
done
wait_port $PLAIN; wait_port $RULED; wait_port $DECLARED; wait_port $COOLED

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
printf '%-28s %10s %12s %12s %16s %12s\n' target nginx "no rules" "rule on it" "declared-only" "cooldown 3d"
for path in npm/bench-files/-/f10k.tgz npm/bench-files; do
  for port in $PLAIN $RULED $DECLARED $COOLED; do curl -sf -o /dev/null "http://127.0.0.1:$port/$path" || echo "warm-up of $path on $port failed" >&2; done
  n=$(rps "http://127.0.0.1:$UP/$path")
  p=$(rps "http://127.0.0.1:$PLAIN/$path")
  r=$(rps "http://127.0.0.1:$RULED/$path")
  d=$(rps "http://127.0.0.1:$DECLARED/$path")
  c=$(rps "http://127.0.0.1:$COOLED/$path")
  printf '%-28s %10.0f %12.0f %12.0f %16.0f %12.0f\n' "$path" "$n" "$p" "$r" "$d" "$c"
done
