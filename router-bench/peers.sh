#!/usr/bin/env bash
# Detour side by side with nginx and HAProxy, all in front of the same upstream simulator, in one
# router-bench run (not run by CI), with the transport's floor beside them: a bare Reactor Netty proxy
# (dev.detour.bench.BareProxy, no routing or parsing) run with Detour's JVM flags. Installs nginx and HAProxy from Debian packages when missing,
# writes their configs to a temporary directory, starts them and the upstream, runs the comparison
# and prints the report with the versions measured.
#
#   router-bench/peers.sh                         # overhead and streaming, 500 req/s, 20 s per series
#   RATE=1000 DURATION=10s SCENARIOS="overhead streaming max-rate" router-bench/peers.sh --steps 12
#
# Extra arguments go to router-bench. The report goes to target/peers-report (report.md, .json, SVGs).
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-500}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
SCENARIOS=${SCENARIOS:-overhead streaming}
OUT=${OUT:-target/peers-report}
export PATH="$PATH:/usr/sbin:/sbin"

if ! command -v nginx >/dev/null || ! command -v haproxy >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends nginx haproxy
fi
if [ ! -f router-bench/target/router-bench.jar ] || [ ! -f router-http/target/router-http.jar ]; then
  mvn -B -q package -DskipTests
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
await_port() {
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}

DIR=$(mktemp -d -t detour-peers.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

UPSTREAM_PORT=$(free_port)
NGINX_PORT=$(free_port)
HAPROXY_PORT=$(free_port)
BARE_PORT=$(free_port)

# The upstream: the simulator the benchmark itself starts, here started once for all three routers.
java -Xmx512m -cp router-bench/target/router-bench.jar dev.detour.bench.Upstream --port "$UPSTREAM_PORT" \
  >"$DIR/upstream.out" 2>"$DIR/upstream.err" &
UPSTREAM_PID=$!
PIDS+=("$UPSTREAM_PID")

java -Xmx96m -XX:+UseSerialGC -cp router-bench/target/router-bench.jar dev.detour.bench.BareProxy \
  --upstream "http://127.0.0.1:$UPSTREAM_PORT" --port "$BARE_PORT" >"$DIR/bare.out" 2>"$DIR/bare.err" &
BARE_PID=$!
PIDS+=("$BARE_PID")

mkdir -p "$DIR/nginx"
cat >"$DIR/nginx.conf" <<CONF
worker_processes auto;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $DIR/nginx/body;
  proxy_temp_path $DIR/nginx/proxy;
  fastcgi_temp_path $DIR/nginx/fastcgi;
  uwsgi_temp_path $DIR/nginx/uwsgi;
  scgi_temp_path $DIR/nginx/scgi;
  upstream bench {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive 128;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
CONF
nginx -p "$DIR/nginx" -c "$DIR/nginx.conf" -e "$DIR/nginx/error.log" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

cat >"$DIR/haproxy.cfg" <<CONF
global
  maxconn 8192
  nbthread 2
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  option http-no-delay
  http-reuse always
frontend bench
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend upstream
backend upstream
  server upstream 127.0.0.1:$UPSTREAM_PORT maxconn 512
CONF
haproxy -db -f "$DIR/haproxy.cfg" >"$DIR/haproxy.out" 2>&1 &
HAPROXY_PID=$!
PIDS+=("$HAPROXY_PID")

await_port "$UPSTREAM_PORT"
await_port "$NGINX_PORT"
await_port "$HAPROXY_PORT"
await_port "$BARE_PORT"
NGINX_PIDS=$( (echo "$NGINX_PID"; pgrep -P "$NGINX_PID" || true) | paste -sd, -)

# shellcheck disable=SC2086 # SCENARIOS is a list of words
java -jar router-bench/target/router-bench.jar $SCENARIOS --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" \
  --upstream "http://127.0.0.1:$UPSTREAM_PORT" \
  --target "nginx=http://127.0.0.1:$NGINX_PORT" --target "haproxy=http://127.0.0.1:$HAPROXY_PORT" \
  --target "reactor-netty=http://127.0.0.1:$BARE_PORT" --reference nginx \
  --watch "upstream=$UPSTREAM_PID" --watch "nginx=$NGINX_PIDS" --watch "haproxy=$HAPROXY_PID" --watch "reactor-netty=$BARE_PID" \
  --out "$OUT" "$@"

echo
echo "Versions:"
nginx -v 2>&1
haproxy -v | head -1
java -version 2>&1 | head -2
echo "Report: $OUT/report.md"
