#!/usr/bin/env bash
# System packages the tests need from Debian: Chromium (browser tests), poppler-utils (pdftotext),
# Pango (WeasyPrint's PDF rendering), nginx (in front of the app hosts of tests/test_hosts.py). Installed with
# apt-get when run as root; otherwise the one command to run is printed and the script fails.
set -euo pipefail

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
ldconfig -p 2>/dev/null | grep -q libcairo.so.2 || missing+=(libcairo2)  # cairosvg: the map as PNG
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)  # tests/test_hosts.py, deploy/nginx
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  echo "ensure-system-deps: installing ${missing[*]}" >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
else
  echo "Missing system packages. Run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
