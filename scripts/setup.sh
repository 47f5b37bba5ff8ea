#!/usr/bin/env bash
# Makes a fresh Debian 12 machine ready to run this project. Safe to run twice.
#  1. If no WebGPU adapter can be had, install Mesa's lavapipe (software Vulkan) from
#     bookworm-backports: Debian 12's own Mesa 22.3 is too old for Dawn.
#  2. With --with-browser (the test suite), install Debian's Chromium for the web page tests.
#  3. Install the npm packages (npm ci when a lockfile is present).
set -euo pipefail
cd "$(dirname "$0")/.."

have_vulkan_icd() {
  # Any Vulkan ICD manifest means some driver (real GPU or lavapipe) is installed.
  ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1
}

lavapipe_recent() {
  # lavapipe from backports is Mesa >= 23; bookworm's own 22.3 is too old for Dawn.
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 23
}

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if have_vulkan_icd && { ! dpkg-query -W mesa-vulkan-drivers >/dev/null 2>&1 || lavapipe_recent; }; then
  echo "setup: a Vulkan driver is already installed; installing nothing system-wide."
else
  echo "setup: no usable Vulkan driver; installing Mesa lavapipe from bookworm-backports..."
  src=/etc/apt/sources.list.d/debian.sources
  uri=$(sed -n 's/^URIs: *//p' "$src" 2>/dev/null | head -n1)
  [ -n "$uri" ] || uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$uri" ] || uri="http://deb.debian.org/debian"
  list=/etc/apt/sources.list.d/bookworm-backports.list
  if [ ! -f "$list" ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deb $uri bookworm-backports main" | $SUDO tee "$list" >/dev/null
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports \
    mesa-vulkan-drivers libvulkan1 >/dev/null
  echo "setup: lavapipe installed ($(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))."
fi

# The web page's tests drive Debian's Chromium (never a downloaded browser).
if [ "${1:-}" = "--with-browser" ]; then
  if ! command -v chromium >/dev/null 2>&1 && [ ! -x "${CHROMIUM_PATH:-/nonexistent}" ]; then
    echo "setup: installing chromium (for the web page tests)..."
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
fi

# npm ci wipes node_modules: skip it when the installed tree matches the lockfile already.
stamp=node_modules/.setup-lock-sha256
want=$(sha256sum package-lock.json 2>/dev/null | cut -d' ' -f1)
if [ -n "$want" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup: npm packages already match package-lock.json."
elif [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  npm install --no-audit --no-fund --loglevel=error
fi
echo "setup: done."
