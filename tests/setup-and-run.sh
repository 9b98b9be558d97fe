#!/usr/bin/env bash
# Install everything the test suite needs, then run every test.
#
#   bash tests/setup-and-run.sh [pytest arguments]
#
# Debian packages (real InfiniBand tools for the comparison tests, and the system
# libraries Qt's offscreen platform needs) are installed with apt-get when this runs
# as root on Debian/Ubuntu; otherwise the tests that need them are skipped, saying why.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
DEB_PACKAGES=(
  ibsim-utils infiniband-diags libibumad3 opensm          # real tools: ibsim, ibnetdiscover, OpenSM
  python3-pyverbs                                          # local host RDMA devices (pyverbs)
  tshark                                                   # decodes ibviz's pcap exports
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3  # Qt offscreen
  xvfb libxcb-cursor0                                      # Qt on a virtual X display
  dpkg-dev patchelf lintian appstream                      # building and checking the .deb
  libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0
  libxcb-shape0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 libxcb-glx0 libxcb-shm0
  libx11-xcb1 libxkbcommon-x11-0                           # what Qt's xcb plugin links
)

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  missing=()
  for pkg in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "==> not root or no apt-get: tests that need ${DEB_PACKAGES[*]:0:3} will be skipped"
fi

echo "==> pip install -e .[test]"
"$PYTHON" -m pip install -q --disable-pip-version-check -e ".[test]"

# hypothesis draws the same examples on every run (the derandomized ``ci`` profile of
# tests/conftest.py) unless HYPOTHESIS_PROFILE or a later --hypothesis-profile says otherwise.
echo "==> pytest (hypothesis profile ${HYPOTHESIS_PROFILE:-ci})"
exec "$PYTHON" -m pytest "--hypothesis-profile=${HYPOTHESIS_PROFILE:-ci}" "$@"
