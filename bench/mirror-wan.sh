#!/usr/bin/env bash
# Mirroring 300 npm packages (a CycloneDX SBOM; 8-256 KiB tarballs) from an upstream that adds
# 40 ms to every answer (bench/delayed_upstream.py), as one across a wide-area link does, beside
# curl making the same requests (each package's document twice, as Larder asks for the full
# and the abbreviated form, and its tarball) at the same concurrency. Goals (issue 9): within
# 1.25 times curl's time at concurrency 16, and the default concurrency within 2 times; 8 and 4
# are measured too, to choose the default by.
source "$(dirname "$0")/lib.sh"
need curl curl
UP=18781
N=${SBOM_PACKAGES:-300}
DELAY=${DELAY:-0.04}
LARDER_BIN=$(build_larder)
rm -rf "$OUT/wan" && mkdir -p "$OUT/wan"
python3 "$BENCH_DIR/make_fixtures.py" --out "$OUT/wan" --port $UP --packages 0 --sbom-packages "$N"
python3 "$BENCH_DIR/delayed_upstream.py" --port $UP --root "$OUT/wan/www" --delay "$DELAY" &
PIDS+=($!)
wait_port $UP
# Larder's default concurrency, as `larder mirror --help` states it.
DEFAULT=$("$LARDER_BIN" mirror --help | grep -A3 -- '--concurrency' | grep -o 'default: [0-9]*' | head -1 | cut -d' ' -f2)
for i in $(seq 0 $((N - 1))); do
  name=$(printf 'sbom-pkg-%03d' "$i")
  for url in "npm/$name" "npm/$name" "npm/$name/-/$name-1.0.0.tgz"; do
    printf 'url = "http://127.0.0.1:%s/%s"\noutput = "/dev/null"\n' $UP "$url"
  done
done > "$OUT/wan/curl.conf"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
echo "$N packages, $((3 * N)) requests, ${DELAY} s added to each answer; Larder's default concurrency: $DEFAULT"
printf '%-12s %10s %10s %8s\n' concurrency curl_s larder_s ratio
for c in $(printf "%s\n" 16 8 4 "$DEFAULT" | awk '!seen[$1]++'); do
  start=$(date +%s.%N)
  curl -sf --no-progress-meter --parallel --parallel-max "$c" -K "$OUT/wan/curl.conf"
  curl_s=$(echo "$(date +%s.%N) - $start" | bc -l)
  rm -rf "$OUT/wan/data"
  start=$(date +%s.%N)
  "$LARDER_BIN" mirror --sbom "$OUT/wan/sbom.json" --data-dir "$OUT/wan/data" --upstream npm=http://127.0.0.1:$UP/npm \
    --concurrency "$c" > "$OUT/wan/mirror-$c.log"
  larder_s=$(echo "$(date +%s.%N) - $start" | bc -l)
  printf '%-12s %10.2f %10.2f %8.2f   (%s)\n' "$c" "$curl_s" "$larder_s" "$(echo "$larder_s / $curl_s" | bc -l)" "$(tail -1 "$OUT/wan/mirror-$c.log")"
done
