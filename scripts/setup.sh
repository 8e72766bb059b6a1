#!/usr/bin/env bash
# Sets up everything the project needs, from the project's own files, idempotently.
#   scripts/setup.sh          what the demo needs: the server role ('.[server]': no card stack,
#                             camera or face models), the PDFs' font, the front-end assets
#   scripts/setup.sh --test   everything: both roles and the test tools ('.[server,station,test]'),
#                             the card stack (pcscd + vsmartcard-vpcd), chromium
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}

debs=(fonts-dejavu-core)  # DejaVu Sans: the Vietnamese glyphs of the result PDFs
[ "$mode" = "--test" ] && debs+=(libpcsclite-dev pcscd vsmartcard-vpcd chromium)
missing=()
for d in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "install ok installed" || missing+=("$d")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages (as root): ${missing[*]}" >&2
    [ "$mode" = "--test" ] && exit 1
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
extras=".[server]"; [ "$mode" = "--test" ] && extras=".[server,station,test]"
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${mode:-demo}"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip setuptools wheel
  .venv/bin/pip install -q -e "$extras"
  touch "$stamp"
fi

# Front-end libraries: from the npm registry through the lockfile, copied where the server serves them.
if [ -f package-lock.json ]; then
  # The demo needs only the pages' libraries; the tests also need the devDependencies
  # (eslint, jsdom, fake-indexeddb for the JavaScript unit tests).
  lockstamp="node_modules/.lock-$(sha256sum package-lock.json | cut -c1-16)-${mode:-demo}"
  if [ ! -f "$lockstamp" ]; then
    npm_omit=(); [ "$mode" = "--test" ] || npm_omit=(--omit=dev)
    npm ci --no-audit --no-fund --loglevel=error "${npm_omit[@]}"
    touch "$lockstamp"
  fi
  .venv/bin/python scripts/vendor_assets.py
fi
