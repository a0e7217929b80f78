#!/usr/bin/env bash
# One warm install per language ecosystem through Larder against the same client installing
# from the registry directly (nginx serving the registry's files), in one run: COUNT packages
# of SIZE_KIB each for cargo fetch, go mod download, gem install, composer install, and NuGet's
# restore requests (curl: no NuGet client is a Debian package). Each install starts with empty
# client caches; median of RUNS each. ECOSYSTEMS picks some; CARGO_HTTP_MULTIPLEXING=false
# stops cargo asking for HTTP/2 (its `Upgrade: h2c` requests make Larder close connections).
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
for tool in cargo go gem composer curl; do command -v "$tool" >/dev/null || { echo "$tool is not on the PATH" >&2; exit 1; }; done
COUNT=${COUNT:-20} SIZE_KIB=${SIZE_KIB:-256} RUNS=${RUNS:-5}
UP=18893 LARDER=18894
LARDER_BIN=$(build_larder)
T="$OUT/languages"
rm -rf "$T" && mkdir -p "$T/www/gem/gems" "$T/build"
# Gems with the real gem build, then both RubyGems indexes.
for i in $(seq 0 $((COUNT - 1))); do
  mkdir -p "$T/build/g$i/lib" && head -c $((SIZE_KIB << 10)) /dev/urandom > "$T/build/g$i/lib/data.bin"
  cat > "$T/build/g$i/g.gemspec" <<GEM
Gem::Specification.new { |s| s.name = "bench-gem-$i"; s.version = "1.0.0"; s.summary = "bench"; s.authors = ["Larder"]; s.files = ["lib/data.bin"] }
GEM
  (cd "$T/build/g$i" && HOME="$T/build" gem build g.gemspec --silent >/dev/null && mv bench-gem-$i-1.0.0.gem "$T/www/gem/gems/")
done
python3 "$BENCH_DIR/make_language_registries.py" "$T/www" "http://127.0.0.1:$UP" "$COUNT" "$SIZE_KIB"
HOME="$T/build" gem generate_index --silent --directory "$T/www/gem"
start_nginx $UP "$T/www" "location = /gem/ { return 200; }
    location ~ ^/go/.*\.info$ { default_type application/json; }
    location ~ ^/composer/.*\.json$ { default_type application/json; }"
cat > "$T/larder.yaml" <<YAML
upstreams:
  cargo: http://127.0.0.1:$UP/cargo
  go: http://127.0.0.1:$UP/go
  rubygems: http://127.0.0.1:$UP/gem
  composer: http://127.0.0.1:$UP/composer
  nuget: http://127.0.0.1:$UP/nuget/v3/index.json
YAML
"$LARDER_BIN" serve --config "$T/larder.yaml" --listen 127.0.0.1:$LARDER --data-dir "$T/data" --log-level error &
PIDS+=($!)
wait_port $LARDER

seconds() { local start; start=$(date +%s.%N); "$@" >"$T/last.log" 2>&1 || { cat "$T/last.log" >&2; exit 1; }; echo "$(date +%s.%N) - $start" | bc -l; }
fresh() { rm -rf "$T/work" && mkdir -p "$T/work/home"; }

cargo_install() {  # cargo_install BASE: cargo fetch of COUNT crates
  fresh
  printf '[package]\nname = "consumer"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n' > "$T/work/Cargo.toml"
  for i in $(seq 0 $((COUNT - 1))); do echo "bench-crate-$i = \"1\"" >> "$T/work/Cargo.toml"; done
  mkdir -p "$T/work/src" && echo 'fn main() {}' > "$T/work/src/main.rs"
  printf '[source.crates-io]\nreplace-with = "bench"\n[source.bench]\nregistry = "sparse+%s/"\n' "$1" > "$T/work/home/config.toml"
  (cd "$T/work" && env -i PATH="$PATH" HOME="${HOME:-/root}" RUSTUP_HOME="${RUSTUP_HOME:-${HOME:-/root}/.rustup}" CARGO_HOME="$T/work/home" CARGO_HTTP_MULTIPLEXING="${CARGO_HTTP_MULTIPLEXING:-true}" cargo fetch --quiet)
}
go_install() {  # go_install GOPROXY: go mod download of COUNT modules
  fresh
  { printf 'module consumer\n\ngo 1.19\n\nrequire (\n'; for i in $(seq 0 $((COUNT - 1))); do echo "  bench.test/m$i v1.0.0"; done; echo ')'; } > "$T/work/go.mod"
  (cd "$T/work" && env -i PATH="$PATH" HOME="$T/work/home" GOPATH="$T/work/gopath" GOMODCACHE="$T/work/modcache" GOCACHE="$T/work/gocache" \
    GOPROXY="$1" GONOSUMDB=bench.test GOFLAGS=-mod=mod GOENV=off go mod download)
}
gem_install() {  # gem_install SOURCE: gem install of COUNT gems
  fresh
  env -i PATH="$PATH" HOME="$T/work/home" GEM_HOME="$T/work/gems" GEM_SPEC_CACHE="$T/work/specs" \
    gem install --norc --clear-sources --source "$1/" --install-dir "$T/work/gems" --no-document --silent $(for i in $(seq 0 $((COUNT - 1))); do echo "bench-gem-$i"; done)
}
composer_install() {  # composer_install URL: composer install of COUNT packages
  fresh
  python3 - "$1" "$COUNT" > "$T/work/composer.json" <<'PY'
import json, sys
url, count = sys.argv[1], int(sys.argv[2])
print(json.dumps({"require": {f"bench/p{i}": "1.0.0" for i in range(count)}, "repositories": [{"type": "composer", "url": url}, {"packagist.org": False}], "config": {"secure-http": False}}))
PY
  (cd "$T/work" && env -i PATH="$PATH" HOME="$T/work/home" COMPOSER_HOME="$T/work/home/composer" COMPOSER_CACHE_DIR="$T/work/cache" COMPOSER_ALLOW_SUPERUSER=1 \
    composer install --no-interaction --no-progress --quiet)
}
nuget_restore() {  # nuget_restore INDEX: the service index, then every version list, then every package
  local flat
  flat=$(curl -sf "$1" | python3 -c 'import json,sys; print(next(r["@id"] for r in json.load(sys.stdin)["resources"] if r["@type"] == "PackageBaseAddress/3.0.0"))')
  curl -sf $(for i in $(seq 0 $((COUNT - 1))); do echo "-o /dev/null ${flat}bench.package$i/index.json"; done)
  curl -sf $(for i in $(seq 0 $((COUNT - 1))); do echo "-o /dev/null ${flat}bench.package$i/1.0.0/bench.package$i.1.0.0.nupkg"; done)
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F); $COUNT packages of $SIZE_KIB KiB each, median of $RUNS"
printf '%-10s %10s %10s %10s %14s\n' ecosystem direct cold warm "warm / direct"
for eco in ${ECOSYSTEMS:-cargo go gem composer nuget}; do
  case $eco in
    cargo) run=cargo_install; direct="http://127.0.0.1:$UP/cargo"; larder="http://127.0.0.1:$LARDER/cargo" ;;
    go) run=go_install; direct="http://127.0.0.1:$UP/go"; larder="http://127.0.0.1:$LARDER/go" ;;
    gem) run=gem_install; direct="http://127.0.0.1:$UP/gem"; larder="http://127.0.0.1:$LARDER/gem" ;;
    composer) run=composer_install; direct="http://127.0.0.1:$UP/composer"; larder="http://127.0.0.1:$LARDER/composer" ;;
    nuget) run=nuget_restore; direct="http://127.0.0.1:$UP/nuget/v3/index.json"; larder="http://127.0.0.1:$LARDER/nuget/v3/index.json" ;;
  esac
  cold=$(seconds $run "$larder")
  d=() w=()
  for _ in $(seq 1 "$RUNS"); do d+=("$(seconds $run "$direct")"); w+=("$(seconds $run "$larder")"); done
  dm=$(printf '%s\n' "${d[@]}" | median) wm=$(printf '%s\n' "${w[@]}" | median)
  printf '%-10s %9.3fs %9.3fs %9.3fs %14.2f\n' "$eco" "$dm" "$cold" "$wm" "$(echo "$wm / $dm" | bc -l)"
done
