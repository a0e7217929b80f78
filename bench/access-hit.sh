#!/usr/bin/env bash
# What access control costs a cache hit, in one run: a cached 10 KiB tarball and a cached
# package document from nginx, from Larder allowing anonymous reads (the fast path), from the
# same Larder with a read token (the router and the token check), and from a Larder allowing
# nothing without a token; and the cost of the JSON-lines access log (a Larder like the first,
# writing one line per request to a file).
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need wrk wrk
need curl curl
LARDER_BIN=$(build_larder)
UP=18485 OPEN=18486 CLOSED=18487 LOGGED=18488
rm -rf "$OUT/access" && mkdir -p "$OUT/access"
python3 "$BENCH_DIR/make_fixtures.py" --out "$OUT/access" --port $UP --packages 1
start_nginx $UP "$OUT/access/www"
TOKEN=$("$LARDER_BIN" token create --data-dir "$OUT/access/closed" --name bench --role read 2>/dev/null)
OPEN_TOKEN=$("$LARDER_BIN" token create --data-dir "$OUT/access/open" --name bench --role read 2>/dev/null)
"$LARDER_BIN" serve --listen 127.0.0.1:$OPEN --data-dir "$OUT/access/open" --upstream npm=http://127.0.0.1:$UP/npm --log-level warning &
PIDS+=($!)
"$LARDER_BIN" serve --listen 127.0.0.1:$CLOSED --data-dir "$OUT/access/closed" --upstream npm=http://127.0.0.1:$UP/npm --anonymous none --log-level warning &
PIDS+=($!)
"$LARDER_BIN" serve --listen 127.0.0.1:$LOGGED --data-dir "$OUT/access/logged" --upstream npm=http://127.0.0.1:$UP/npm --log-level warning --access-log "$OUT/access/access.jsonl" &
PIDS+=($!)
wait_port $OPEN; wait_port $CLOSED; wait_port $LOGGED
authed_rps() { wrk -t2 -c32 -d"${WRK_SECONDS:-10}"s -H "Authorization: Bearer $2" "$1" | awk '/Requests\/sec/ {print $2}'; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
printf '%-22s %10s %12s %14s %16s %16s\n' target nginx "open, none" "open, token" "closed, token" "open, access log"
for path in npm/bench-files/-/f10k.tgz npm/bench-files; do
  curl -sf -o /dev/null "http://127.0.0.1:$OPEN/$path"
  curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$CLOSED/$path"
  curl -sf -o /dev/null "http://127.0.0.1:$LOGGED/$path"
  n=$(rps "http://127.0.0.1:$UP/$path")
  o=$(rps "http://127.0.0.1:$OPEN/$path")
  ot=$(authed_rps "http://127.0.0.1:$OPEN/$path" "$OPEN_TOKEN")
  c=$(authed_rps "http://127.0.0.1:$CLOSED/$path" "$TOKEN")
  l=$(rps "http://127.0.0.1:$LOGGED/$path")
  printf '%-22s %10.0f %12.0f %14.0f %16.0f %16.0f\n' "$path" "$n" "$o" "$ot" "$c" "$l"
done
echo "access log: $(wc -l < "$OUT/access/access.jsonl") lines, $(du -h "$OUT/access/access.jsonl" | cut -f1)"
