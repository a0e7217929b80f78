#!/usr/bin/env bash
# A warm `terraform init` through Larder (network mirror and module registry over HTTPS)
# against terraform installing from the registry directly (nginx serving the registry's files
# over HTTPS), in one run: PROVIDERS providers of SIZE_MB each and a registry module, each
# init in a fresh directory without a plugin cache; median of 5 each.
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
command -v terraform >/dev/null || { echo "terraform is not on the PATH" >&2; exit 1; }
PROVIDERS=${PROVIDERS:-3} SIZE_MB=${SIZE_MB:-30}
UP=18891 LARDER=18892
LARDER_BIN=$(build_larder)
T="$OUT/terraform"
rm -rf "$T" && mkdir -p "$T/www" "$T/gnupg" && chmod 700 "$T/gnupg"
export GNUPGHOME="$T/gnupg"
gpg --batch --passphrase '' --quick-gen-key 'Bench Registry <bench@example.invalid>' ed25519 sign never 2>/dev/null
make_certificates "$T/tls"
python3 "$BENCH_DIR/make_terraform_registry.py" "$T/www" "https://127.0.0.1:$UP" "$PROVIDERS" "$SIZE_MB"
start_nginx $UP "$T/www" "location ~ ^/v1/providers/ { default_type application/json; }
    location = /.well-known/terraform.json { default_type application/json; }
    location = /v1/modules/bench/network/aws/versions { default_type application/json; }
    location = /v1/modules/bench/network/aws/1.0.0/download { add_header X-Terraform-Get https://127.0.0.1:$UP/archives/network-1.0.0.tar.gz; return 204; }" "$T/tls"
cat > "$T/larder.yaml" <<YAML
upstreams:
  terraform:
    registry.bench: https://127.0.0.1:$UP
upstream_ca_file: $T/tls/ca.pem
YAML
"$LARDER_BIN" serve --config "$T/larder.yaml" --listen 127.0.0.1:$LARDER --data-dir "$T/data" --tls-cert "$T/tls/server.pem" --tls-key "$T/tls/server.key" --log-level error &
PIDS+=($!)
wait_port $LARDER

cat > "$T/direct.tfrc" <<HCL
host "registry.bench" {
  services = {
    "providers.v1" = "https://127.0.0.1:$UP/v1/providers/"
    "modules.v1"   = "https://127.0.0.1:$UP/v1/modules/"
  }
}
HCL
cat > "$T/larder.tfrc" <<HCL
provider_installation {
  network_mirror { url = "https://127.0.0.1:$LARDER/terraform/providers/" }
}
host "registry.bench" {
  services = { "modules.v1" = "https://127.0.0.1:$LARDER/terraform/modules/v1/registry.bench/" }
}
HCL
tfinit() {  # tfinit direct|larder: seconds for one terraform init in a fresh directory
  local dir="$T/work" start
  rm -rf "$dir" && mkdir -p "$dir/home"
  {
    echo 'terraform {'; echo '  required_providers {'
    for i in $(seq 0 $((PROVIDERS - 1))); do echo "    p$i = { source = \"registry.bench/bench/p$i\", version = \"1.0.0\" }"; done
    echo '  }'; echo '}'
    echo 'module "network" {'; echo '  source = "registry.bench/bench/network/aws"'; echo '  version = "1.0.0"'; echo '}'
  } > "$dir/main.tf"
  start=$(date +%s.%N)
  (cd "$dir" && env -i PATH="$PATH" HOME="$dir/home" TF_CLI_CONFIG_FILE="$T/$1.tfrc" SSL_CERT_FILE="$T/tls/ca.pem" CHECKPOINT_DISABLE=1 \
    terraform init -input=false -no-color >"$T/init-$1.log" 2>&1) || { cat "$T/init-$1.log" >&2; exit 1; }
  echo "$(date +%s.%N) - $start" | bc -l
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F); $(TF_CLI_CONFIG_FILE=/dev/null terraform version 2>/dev/null | head -1)"
cold=$(tfinit larder)
direct=$(for _ in 1 2 3 4 5; do tfinit direct; done | median)
warm=$(for _ in 1 2 3 4 5; do tfinit larder; done | median)
printf 'configuration: %d providers of %d MiB (linux_amd64) and a registry module\n' "$PROVIDERS" "$SIZE_MB"
printf '%-34s %8.3f s\n' "direct from the registry (nginx)" "$direct" "through Larder, cold" "$cold" "through Larder, warm" "$warm"
printf 'warm / direct: %.2f\n' "$(echo "$warm / $direct" | bc -l)"
