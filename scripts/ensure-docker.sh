#!/usr/bin/env bash
# Make sure a Docker engine answers; print the DOCKER_HOST to use on stdout (logs go to stderr).
# Uses a running engine if there is one; otherwise starts dockerd (installed by
# scripts/setup-machine.sh) with its own data root and socket. Exit 1 (with the reason) if it
# cannot.
set -euo pipefail
DIR="${SELFDATA_DOCKER_DIR:-/var/lib/selfdata-docker}"
SOCK="unix://$DIR/docker.sock"
log() { echo "ensure-docker: $*" >&2; }

answers() { DOCKER_HOST="$1" timeout 10 docker info >/dev/null 2>&1; }

if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then echo "$DOCKER_HOST"; exit 0; fi
if answers "$SOCK"; then echo "$SOCK"; exit 0; fi
if answers "unix:///var/run/docker.sock"; then echo "unix:///var/run/docker.sock"; exit 0; fi

if ! command -v dockerd >/dev/null; then
  log "dockerd is not installed: run scripts/setup-machine.sh as root"; exit 1
fi
if [ "$(id -u)" != 0 ]; then log "dockerd needs root"; exit 1; fi
mkdir -p "$DIR/data" "$DIR/exec"
log "starting dockerd (data root $DIR/data)"
nohup dockerd --data-root "$DIR/data" --exec-root "$DIR/exec" -H "$SOCK" \
  --pidfile "$DIR/dockerd.pid" >"$DIR/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  if answers "$SOCK"; then echo "$SOCK"; exit 0; fi
  sleep 1
done
log "dockerd did not answer within 60 s; see $DIR/dockerd.log"
tail -20 "$DIR/dockerd.log" >&2 || true
exit 1
