# Sourced by bench/run.sh and bench/limits.sh: `bench_setup NAME BINARY` installs wrk, nginx and curl with apt
# when missing, builds the release binary when BINARY does not exist, and makes "$work", a scratch directory
# removed on exit, when every process listed in "${pids[@]}" is stopped too. `free_port` prints a free port.

bench_setup() { # name binary
  local tool
  for tool in wrk:wrk nginx:nginx-light curl:curl; do
    command -v "${tool%%:*}" >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool#*:}" >/dev/null)
  done
  if [ ! -x "$2" ]; then
    echo "building the release binary ($2)…" >&2
    cargo build --release --target x86_64-unknown-linux-musl
  fi
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_nginx APP_PORT NGINX_PORT [DIRECTIVES]: nginx serving the very bytes the app sends for / and
# /health.html (saved now), access log off, one worker per core, plus DIRECTIVES in its server block.
start_nginx() {
  chmod 755 "$work" # nginx's workers run as www-data: let them read the files.
  mkdir -p "$work/www"
  curl -sf "http://127.0.0.1:$1/" -o "$work/www/index.html"
  curl -sf "http://127.0.0.1:$1/health.html" -o "$work/www/health.html"
  cat >"$work/nginx.conf" <<NGINX
worker_processes $(nproc);
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  server { listen 127.0.0.1:$2; root $work/www; index index.html; ${3:-} }
}
NGINX
  nginx -c "$work/nginx.conf" -g 'daemon off;' & pids+=($!)
}
