#!/usr/bin/env bash
# Maven through Larder beside the same repository served by nginx directly, in one run:
# (1) a warm `mvn` resolution of a project with 60 dependencies (and their parent POM, ranged
# dependencies, maven-metadata.xml), fresh local repository each time, interleaved, median of 7;
# (2) cache hits per second on one jar with and without verify_on_hit (each hit then asks
# nginx with a conditional HEAD), with nginx's own rate on the same file for scale.
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need wrk wrk
need mvn maven
need javac default-jdk-headless
UP=18381 LARDER=18382 VERIFY=18383
LARDER_BIN=$(build_larder)
rm -rf "$OUT/maven" && mkdir -p "$OUT/maven"
python3 "$BENCH_DIR/make_maven_fixture.py" --out "$OUT/maven"
start_nginx $UP "$OUT/maven/repo"

"$LARDER_BIN" serve --listen 127.0.0.1:$LARDER --data-dir "$OUT/maven/larder" --upstream maven=http://127.0.0.1:$UP --log-level warning &
PIDS+=($!)
cat > "$OUT/maven/verify.yaml" <<YAML
upstreams:
  maven:
    - url: http://127.0.0.1:$UP
      verify_on_hit: true
YAML
"$LARDER_BIN" serve --config "$OUT/maven/verify.yaml" --listen 127.0.0.1:$VERIFY --data-dir "$OUT/maven/verify" --log-level warning &
PIDS+=($!)
wait_port $LARDER; wait_port $VERIFY

resolve() {  # resolve URL: one mvn run with a fresh local repository; prints seconds
  local dir; dir=$(mktemp -d)
  cat > "$dir/settings.xml" <<XML
<settings><mirrors><mirror><id>bench</id><mirrorOf>*</mirrorOf><url>$1</url></mirror></mirrors></settings>
XML
  local start end
  start=$(date +%s.%N)
  (cd "$OUT/maven/project" && HOME=$dir mvn -B -q -C -s "$dir/settings.xml" -gs "$dir/settings.xml" \
    -Dmaven.repo.local="$dir/m2" org.larder.bench:larder-probe-maven-plugin:1.0:resolve >"$dir/log" 2>&1) \
    || { cat "$dir/log" >&2; echo "mvn failed via $1" >&2; exit 1; }
  end=$(date +%s.%N)
  [ "$(find "$dir/m2/org/larder/bench" -name 'lib-*.jar' | wc -l)" -eq 60 ] || { echo "mvn resolved too few jars via $1" >&2; exit 1; }
  rm -rf "$dir"
  echo "$end - $start" | bc -l
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r); $(date -u +%F)"
resolve "http://127.0.0.1:$LARDER/maven/" >/dev/null   # cold: fills Larder's cache
# Interleaved, so that drift in the machine's load falls on both alike.
: > "$OUT/maven/nginx.times"; : > "$OUT/maven/larder.times"
for _ in 1 2 3 4 5 6 7; do
  resolve "http://127.0.0.1:$UP/" >> "$OUT/maven/nginx.times"
  resolve "http://127.0.0.1:$LARDER/maven/" >> "$OUT/maven/larder.times"
done
nginx_s=$(median < "$OUT/maven/nginx.times")
larder_s=$(median < "$OUT/maven/larder.times")
printf '%-28s %10s  %s\n' "warm mvn resolution" median_s "all runs"
printf '%-28s %10.3f  %s\n' "nginx, the repository itself" "$nginx_s" "$(sort -n "$OUT/maven/nginx.times" | xargs printf '%.2f ')"
printf '%-28s %10.3f  %s (%.2f of nginx)\n' "through Larder" "$larder_s" "$(sort -n "$OUT/maven/larder.times" | xargs printf '%.2f ')" "$(echo "$larder_s / $nginx_s" | bc -l)"

JAR=org/larder/bench/lib-000/1.0/lib-000-1.0.jar
curl -sf -o /dev/null "http://127.0.0.1:$LARDER/maven/$JAR"
curl -sf -o /dev/null "http://127.0.0.1:$VERIFY/maven/$JAR"
n=$(rps "http://127.0.0.1:$UP/$JAR")
plain=$(rps "http://127.0.0.1:$LARDER/maven/$JAR")
checked=$(rps "http://127.0.0.1:$VERIFY/maven/$JAR")
printf '%-28s %10s\n' "hits on a 64 KiB jar" req_per_s
printf '%-28s %10s\n' "nginx" "$n"
printf '%-28s %10s\n' "Larder" "$plain"
printf '%-28s %10s  (%.2f of plain hits)\n' "Larder, verify_on_hit" "$checked" "$(echo "$checked / $plain" | bc -l)"
