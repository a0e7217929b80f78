#!/usr/bin/env bash
# A warm image pull with skopeo through Larder, against skopeo pulling the same image from the
# registry directly (nginx serving the registry's files), in one run: an image of 4 layers of
# 16 MiB (bench/make_oci_image.py), copied to a directory; median of 5 pulls each.
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need skopeo skopeo
UP=18881 LARDER=18882
LARDER_BIN=$(build_larder)
rm -rf "$OUT/oci" && mkdir -p "$OUT/oci/www" "$OUT/oci/home"
python3 "$BENCH_DIR/make_oci_image.py" "$OUT/oci/www" bench/app 1.0 4 16
start_nginx $UP "$OUT/oci/www" "location = /v2/ { default_type application/json; return 200 '{}'; }
    location ~ ^/v2/.+/manifests/ { default_type application/vnd.oci.image.manifest.v1+json; }"
"$LARDER_BIN" serve --listen 127.0.0.1:$LARDER --data-dir "$OUT/oci/data" --upstream oci=http://127.0.0.1:$UP --log-level error &
PIDS+=($!)
wait_port $LARDER
: > "$OUT/oci/home/registries.conf"
pull() {  # pull PORT: seconds for one skopeo copy of the image from 127.0.0.1:PORT
  rm -rf "$OUT/oci/copy"
  local start=$(date +%s.%N)
  HOME="$OUT/oci/home" REGISTRY_AUTH_FILE="$OUT/oci/home/auth.json" skopeo --insecure-policy --registries-conf "$OUT/oci/home/registries.conf" \
    copy --src-tls-verify=false "docker://127.0.0.1:$1/bench/app:1.0" "dir:$OUT/oci/copy" >/dev/null
  echo "$(date +%s.%N) - $start" | bc -l
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F); skopeo $(skopeo --version | awk '{print $3}')"
cold=$(pull $LARDER)
direct=$(for _ in 1 2 3 4 5; do pull $UP; done | median)
warm=$(for _ in 1 2 3 4 5; do pull $LARDER; done | median)
printf 'image: 4 layers of 16 MiB (gzip level 1 of random bytes)\n'
printf '%-28s %8.3f s\n' "direct from the registry" "$direct" "through Larder, cold" "$cold" "through Larder, warm" "$warm"
printf 'warm / direct: %.2f\n' "$(echo "$warm / $direct" | bc -l)"
