#!/usr/bin/env bash
# Mirroring a 500-component CycloneDX SBOM (npm packages, 8-256 KiB tarballs) from an nginx
# upstream with `larder mirror`, beside the upstream's own bandwidth: the same tarballs fetched
# with curl at the same concurrency. Prints both throughputs and their ratio.
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need curl curl
UP=18381
N=${SBOM_PACKAGES:-500}
CONCURRENCY=${CONCURRENCY:-4}
LARDER_BIN=$(build_larder)
rm -rf "$OUT/sbom" && mkdir -p "$OUT/sbom"
python3 "$BENCH_DIR/make_fixtures.py" --out "$OUT/sbom" --port $UP --packages 0 --sbom-packages "$N"
start_nginx $UP "$OUT/sbom/www"
total=$(du -cb "$OUT"/sbom/www/npm/sbom-pkg-*/-/*.tgz | tail -1 | cut -f1)

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
echo "$N components, $((total / 1024)) KiB of tarballs, concurrency $CONCURRENCY"
sed 's|.*|url = "&"\noutput = "/dev/null"|' "$OUT/sbom/tarball-urls.txt" > "$OUT/sbom/curl.conf"
start=$(date +%s.%N)
curl -sf --parallel --parallel-max "$CONCURRENCY" -K "$OUT/sbom/curl.conf"
curl_s=$(echo "$(date +%s.%N) - $start" | bc -l)

start=$(date +%s.%N)
"$LARDER_BIN" mirror --sbom "$OUT/sbom/sbom.json" --data-dir "$OUT/sbom/data" --upstream npm=http://127.0.0.1:$UP/npm \
  --concurrency "$CONCURRENCY" > "$OUT/sbom/mirror.log"
larder_s=$(echo "$(date +%s.%N) - $start" | bc -l)
tail -1 "$OUT/sbom/mirror.log"

printf '%-28s %8s %10s\n' run seconds MiB/s
printf '%-28s %8.2f %10.1f\n' "upstream bandwidth (curl)" "$curl_s" "$(echo "$total / 1048576 / $curl_s" | bc -l)"
printf '%-28s %8.2f %10.1f\n' "larder mirror (incl. docs)" "$larder_s" "$(echo "$total / 1048576 / $larder_s" | bc -l)"
printf 'larder / upstream throughput: %.2f\n' "$(echo "$curl_s / $larder_s" | bc -l)"
