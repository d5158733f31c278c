#!/usr/bin/env bash
# Install every Debian package the project runs, when missing, and say which. Idempotent:
# a machine that has them all is left alone (no apt-get at all). `make run` and `make test`
# call it; run it as root (apt-get). Each line of PACKAGES is "<command> <package>": the
# package is installed when the command is not found. tests/test_machine.py checks that every
# program the code and scripts start is either listed here or part of the base machine.
set -euo pipefail
log() { echo "setup-machine: $*" >&2; }

PACKAGES="
dockerd docker.io
docker docker.io
containerd containerd
runc runc
iptables iptables
debootstrap debootstrap
chromium chromium
initdb postgresql
pg_ctl postgresql
wrk wrk
node nodejs
npm nodejs
"

have() {
  command -v "$1" >/dev/null 2>&1 && return 0
  case "$1" in  # PostgreSQL keeps its server programs out of PATH
    initdb|pg_ctl) compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null ;;
    *) return 1 ;;
  esac
}

missing=()
while read -r cmd pkg; do
  [ -n "$cmd" ] || continue
  if ! have "$cmd"; then
    case " ${missing[*]-} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
  fi
done <<< "$PACKAGES"

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  log "missing: ${missing[*]}; as root: apt-get install ${missing[*]}"
  exit 1
fi
log "installing Debian's ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
log "installed ${missing[*]}"
