#!/usr/bin/env bash
# Make sure Debian's chromium is installed (browser tests drive it headless). Prints its path.
set -euo pipefail
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null; then command -v "$b"; exit 0; fi
done
if [ "$(id -u)" != 0 ]; then echo "ensure-chromium: not root; apt-get install chromium" >&2; exit 1; fi
echo "ensure-chromium: installing Debian's chromium" >&2
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
   --no-install-recommends chromium) >&2
command -v chromium
