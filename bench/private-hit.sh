#!/usr/bin/env bash
# What restricted upstreams (`readers`) cost a cache hit, in one run: a cached 10 KiB tarball
# and a cached package document from nginx; from a Larder with one public npm upstream, read
# anonymously and with a token; and from a Larder whose first npm upstream is restricted to
# the token (readers: [bench]) before a public one, read anonymously (the public view) and
# with the token (its own view of the cache).
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need wrk wrk
need curl curl
LARDER_BIN=$(build_larder)
UP=18505 PLAIN=18506 RESTRICTED=18507
rm -rf "$OUT/private" && mkdir -p "$OUT/private"
python3 "$BENCH_DIR/make_fixtures.py" --out "$OUT/private" --port $UP --packages 1
start_nginx $UP "$OUT/private/www"
# The same nginx twice, under two names: as the restricted upstream and as the public one
# (whose documents point at the first name, hence artifact_hosts).
cat > "$OUT/private/larder.yaml" <<YAML
upstreams:
  npm:
    - url: http://127.0.0.1:$UP/npm
      readers: [bench]
    - url: http://localhost:$UP/npm
      artifact_hosts: ["127.0.0.1:$UP"]
YAML
PLAIN_TOKEN=$("$LARDER_BIN" token create --data-dir "$OUT/private/plain" --name bench --role read 2>/dev/null)
TOKEN=$("$LARDER_BIN" token create --data-dir "$OUT/private/restricted" --name bench --role read 2>/dev/null)
"$LARDER_BIN" serve --listen 127.0.0.1:$PLAIN --data-dir "$OUT/private/plain" --upstream npm=http://127.0.0.1:$UP/npm --log-level warning &
PIDS+=($!)
"$LARDER_BIN" serve --listen 127.0.0.1:$RESTRICTED --data-dir "$OUT/private/restricted" --config "$OUT/private/larder.yaml" --log-level warning &
PIDS+=($!)
wait_port $PLAIN; wait_port $RESTRICTED
authed_rps() { wrk -t2 -c32 -d"${WRK_SECONDS:-10}"s -H "Authorization: Bearer $2" "$1" | awk '/Requests\/sec/ {print $2}'; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
printf '%-22s %10s %14s %14s %18s %18s\n' target nginx "public, none" "public, token" "restricted, none" "restricted, token"
for path in npm/bench-files/-/f10k.tgz npm/bench-files; do
  curl -sf -o /dev/null "http://127.0.0.1:$PLAIN/$path" || echo "warm-up of $path failed (public)" >&2
  curl -sf -o /dev/null "http://127.0.0.1:$RESTRICTED/$path" || echo "warm-up of $path failed (restricted, anonymous)" >&2
  curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$RESTRICTED/$path" || echo "warm-up of $path failed (restricted, token)" >&2
  n=$(rps "http://127.0.0.1:$UP/$path")
  p=$(rps "http://127.0.0.1:$PLAIN/$path")
  pt=$(authed_rps "http://127.0.0.1:$PLAIN/$path" "$PLAIN_TOKEN")
  r=$(rps "http://127.0.0.1:$RESTRICTED/$path")
  rt=$(authed_rps "http://127.0.0.1:$RESTRICTED/$path" "$TOKEN")
  printf '%-22s %10.0f %14.0f %14.0f %18.0f %18.0f\n' "$path" "$n" "$p" "$pt" "$r" "$rt"
done
