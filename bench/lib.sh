# Shared helpers for the benchmark scripts. Everything runs on loopback only.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=${BENCH_OUT:-$BENCH_DIR/out}
mkdir -p "$OUT"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# wait_port PORT: waits (at most 60 s) until something accepts connections on 127.0.0.1:PORT.
wait_port() {
  for _ in $(seq 1 600); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}

# need CMD PACKAGE: installs a Debian package when CMD is missing.
need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"; }; }

# build_larder: a release build of the larder command; prints its path.
build_larder() {
  (cd "$ROOT" && swift build -c release --product larder >&2)
  echo "$ROOT/.build/release/larder"
}

# start_nginx PORT ROOT [LOCATIONS] [TLS_DIR]: nginx serving ROOT with sendfile, as the reference
# and the upstream; LOCATIONS are extra location blocks for the server; with TLS_DIR (holding
# server.pem and server.key) it serves HTTPS.
start_nginx() {
  local port=$1 www=$2 extra=${3:-} tls=${4:-} conf="$OUT/nginx-$1.conf" listen
  listen="listen 127.0.0.1:$port;"
  [ -n "$tls" ] && listen="listen 127.0.0.1:$port ssl; ssl_certificate $tls/server.pem; ssl_certificate_key $tls/server.key;"
  mkdir -p "$OUT/nginx-$1"
  cat > "$conf" <<CONF
worker_processes 2;
pid $OUT/nginx-$1/nginx.pid;
error_log $OUT/nginx-$1/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  default_type application/octet-stream;
  client_body_temp_path $OUT/nginx-$1;
  proxy_temp_path $OUT/nginx-$1;
  fastcgi_temp_path $OUT/nginx-$1;
  uwsgi_temp_path $OUT/nginx-$1;
  scgi_temp_path $OUT/nginx-$1;
  server {
    $listen
    root $www;
    location = /npm/bench-files { default_type application/json; alias $www/npm/bench-files.json; }
    location ~ ^/npm/([a-z0-9-]+)$ { default_type application/json; try_files /npm/\$1.json =404; }
    $extra
  }
}
CONF
  nginx -c "$conf" -g 'daemon off;' &
  PIDS+=($!)
  wait_port "$port"
}

# rps URL: requests per second wrk measures (2 threads, 32 connections, 10 s).
rps() { wrk -t2 -c32 -d"${WRK_SECONDS:-10}"s "$1" | awk '/Requests\/sec/ {print $2}'; }

# wrk_stats URL: "requests/s p50_ms p99_ms timeouts" as wrk measures them (2 threads,
# 32 connections, 10 s, a 10 s timeout so that slow answers are timed rather than dropped).
wrk_stats() {
  wrk -t2 -c32 -d"${WRK_SECONDS:-10}"s --timeout 10s --latency "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; return v * 1000 }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /timeout/ { for (i = 1; i <= NF; i++) if ($i == "timeout") t = $(i + 1) + 0 }
    END { printf "%s %.2f %.2f %d\n", rps, p50, p99, t }'
}

# rss PID: resident memory of PID in MiB.
rss() { echo $(( $(awk '/VmRSS/ {print $2}' /proc/"$1"/status) / 1024 )); }

# peak_rss_during PID CMD...: runs CMD while sampling PID's resident memory every 0.1 s; prints
# the peak in MiB.
peak_rss_during() {
  local pid=$1 peak=0 now
  shift
  "$@" &
  local job=$!
  while kill -0 $job 2>/dev/null; do
    now=$(rss "$pid"); [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.1
  done
  wait $job
  echo $peak
}

# median: the median of the numbers on standard input, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# make_certificates DIR: a certificate authority (DIR/ca.pem) and a server certificate for
# 127.0.0.1 and localhost (DIR/server.pem, DIR/server.key) it signed.
make_certificates() {
  local dir=$1
  mkdir -p "$dir"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$dir/server.ext"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench-ca -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
}
