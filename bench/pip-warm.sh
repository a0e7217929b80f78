#!/usr/bin/env bash
# A warm `pip download` of 30 fixture packages through Larder, proxpi and devpi-server, each in
# front of the same nginx-served upstream; prints the median of 5 warm runs and ratios to Larder.
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
UP=18281 LARDER=18282 PROXPI=18283 DEVPI=18284
LARDER_BIN=$(build_larder)
VENV="$OUT/venv"
[ -x "$VENV/bin/devpi-server" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q proxpi devpi-server gunicorn; }
rm -rf "$OUT/pip" && mkdir -p "$OUT/pip"
python3 "$BENCH_DIR/make_fixtures.py" --out "$OUT/pip" --port $UP --packages 30
start_nginx $UP "$OUT/pip/www"
UPSTREAM=http://127.0.0.1:$UP/simple

"$LARDER_BIN" serve --listen 127.0.0.1:$LARDER --data-dir "$OUT/pip/larder" --upstream pypi=$UPSTREAM --log-level warning &
PIDS+=($!)
PROXPI_INDEX_URL=$UPSTREAM/ PROXPI_CACHE_DIR="$OUT/pip/proxpi" PROXPI_LOGGING_LEVEL=WARNING \
  "$VENV/bin/gunicorn" --bind 127.0.0.1:$PROXPI --workers 2 --log-level warning proxpi.server:app &
PIDS+=($!)
"$VENV/bin/devpi-init" --serverdir "$OUT/pip/devpi" --no-root-pypi --root-passwd bench >/dev/null
"$VENV/bin/devpi-server" --serverdir "$OUT/pip/devpi" --host 127.0.0.1 --port $DEVPI >"$OUT/pip/devpi.log" 2>&1 &
PIDS+=($!)
wait_port $LARDER; wait_port $PROXPI; wait_port $DEVPI
# devpi: a mirror index of the fixture upstream (root/pypi was not created, so nothing else is mirrored).
token=$(curl -sf -X POST -H 'Content-Type: application/json' -H 'Accept: application/json' \
  -d '{"user": "root", "password": "bench"}' http://127.0.0.1:$DEVPI/+login | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["password"])')
curl -sf -X PUT -u "root:$token" -H 'Content-Type: application/json' -H 'Accept: application/json' \
  -d "{\"type\": \"mirror\", \"mirror_url\": \"$UPSTREAM/\"}" http://127.0.0.1:$DEVPI/root/fixture >/dev/null

run() {  # run INDEX: one pip download of all 30 packages, fresh target, no pip cache; prints seconds
  local dir; dir=$(mktemp -d)
  local start end
  start=$(date +%s.%N)
  HOME=$dir PIP_CONFIG_FILE=/dev/null python3 -m pip download -q --no-cache-dir --disable-pip-version-check \
    --no-deps --index-url "$1" -d "$dir/dl" -r "$OUT/pip/requirements.txt"
  end=$(date +%s.%N)
  [ "$(ls "$dir/dl" | wc -l)" -eq 30 ] || { echo "pip downloaded $(ls "$dir/dl" | wc -l) of 30 via $1" >&2; exit 1; }
  rm -rf "$dir"
  echo "$end - $start" | bc -l
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
declare -A result
for name in larder proxpi devpi; do
  case $name in
    larder) index=http://127.0.0.1:$LARDER/pypi/simple/ ;;
    proxpi) index=http://127.0.0.1:$PROXPI/index/ ;;
    devpi) index=http://127.0.0.1:$DEVPI/root/fixture/+simple/ ;;
  esac
  run "$index" >/dev/null   # cold: fills the cache
  result[$name]=$(for _ in 1 2 3 4 5; do run "$index"; done | median)
done
printf '%-8s %12s %16s\n' proxy warm_median_s vs_larder
for name in larder proxpi devpi; do
  printf '%-8s %12.3f %16.2f\n' $name "${result[$name]}" "$(echo "${result[$name]} / ${result[larder]}" | bc -l)"
done
