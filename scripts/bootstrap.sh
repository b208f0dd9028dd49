#!/usr/bin/env bash
# Install what the project needs on Debian/Ubuntu: system packages, then a
# virtual environment in .venv with the project and its tools. Safe to re-run:
# it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  ca-certificates python3-venv curl
  mosquitto mosquitto-clients   # MQTT broker (demo, tests) and its CLI tools (docs/mqtt.md)
  openssl                       # deploy/mosquitto/dev-certs.sh: TLS certificates (tests, pilots)
  postgresql                    # database server binaries (the demo and tests run their own clusters)
  docker-compose                # validates deploy/compose.yaml (tests/deploy; no container engine needed)
  # The touch kiosk (Kivy): OpenGL through Mesa (software rendering when there is no GPU, as in CI),
  # multitouch devices, and a virtual X server to run it in a window on a machine without a screen.
  libgl1 libegl1 libgl1-mesa-dri libmtdev1 xvfb xauth
  # Monthly reports as PDF: WeasyPrint lays text out with pango, in DejaVu; poppler's pdftoppm and
  # pdftotext let tests (and you) look at the pages.
  libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils
  chromium                      # the board's browser tests (Playwright drives it; it never downloads its own)
  libatomic1                    # Playwright's own node driver needs it (absent from a minimal Debian)
  libzbar0                      # reads the QR code back from a rendered poster (tests, with pyzbar)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  # grafana-client speaks HTTP through niquests, whose urllib3-future wheel replaces urllib3 itself
  # for every package in the environment (a startup hook). Built from source with this switch it
  # lives beside urllib3 instead, and everything else keeps the real urllib3.
  URLLIB3_NO_OVERRIDE=1 .venv/bin/python -m pip install -q --no-binary urllib3-future \
    -c requirements/constraints.txt -e ".[dev]"
  if compgen -G ".venv/lib/python*/site-packages/urllib3_future.pth" >/dev/null; then
    echo "urllib3-future was installed from a wheel and replaces urllib3: remove .venv and run again" >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
