#!/usr/bin/env bash
# Prepare this machine for one Cherga role and start it.
#
#   firmware_config/bootstrap.sh [--install-only] ROLE [ARGS...]
#
# ROLE is hub (default), an appliance (kiosk, panel, display, printer, phone), demo (the hub and
# every appliance on this machine with an example office: docs/demo.md) or test. As root on
# Debian it installs the system packages the role needs; then it makes the virtualenv .venv
# beside the code, installs Cherga with the role's extras only (a printer gets no Kivy, no
# database libraries), and (without --install-only) runs `cherga ROLE ARGS...` (an appliance
# needs `--config FILE`; `test` runs the test suite's pytest).
set -euo pipefail

install_only=0
if [ "${1:-}" = "--install-only" ]; then
  install_only=1
  shift
fi
role="${1:-hub}"
[ $# -gt 0 ] && shift

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"

case "$role" in
  # fonts-dejavu-core: the Cyrillic TrueType font of the PDF print forms (TSK-15).
  hub) extras="hub"; packages=(python3-venv mosquitto fonts-dejavu-core)
    # `cherga backup` and `cherga restore` of a PostgreSQL database run pg_dump, pg_restore, psql.
    case "${CHERGA_DATABASE_URL:-}" in postgresql*) packages+=(postgresql-client) ;; esac ;;
  # xvfb..xwayland: the appliances on real screens (tests/test_appliance_screens.py): bare X,
  # window managers, weston (Wayland) with XWayland, and the screenshots of them. systemd:
  # systemd-analyze checks the units (tests/test_systemd.py). poppler-utils: the PDFs drawn as
  # pictures (pdftoppm) for the screenshots. shellcheck: the Pi set-up scripts (tests/test_pi_setup.py).
  # dovecot-imapd, dovecot-pop3d: the mailboxes mail is fetched from (tests/test_mail_in.py).
  test) extras="test"; packages=(python3-venv postgresql systemd fonts-dejavu-core poppler-utils mosquitto mosquitto-clients curl jq libgl1-mesa-dri libegl1 libegl-mesa0 libmtdev1 espeak-ng chromium chromium-driver libnss3-tools tcpdump kamailio kamailio-tls-modules sip-tester baresip alsa-utils xvfb x11-apps x11-utils imagemagick openbox matchbox-window-manager weston xwayland shellcheck dovecot-imapd dovecot-pop3d) ;;
  demo) extras="hub,kiosk,panel,display,printer"; packages=(python3-venv mosquitto fonts-dejavu-core libgl1-mesa-dri libegl1 libegl-mesa0 libmtdev1 espeak-ng) ;;
  # Kivy draws through SDL2 with Mesa's OpenGL (KMS/DRM on a Pi, no desktop needed).
  kiosk) extras="kiosk"; packages=(python3-venv libgl1-mesa-dri libegl1 libegl-mesa0 libmtdev1) ;;
  panel) extras="panel"; packages=(python3-venv libgl1-mesa-dri libegl1 libegl-mesa0 libmtdev1) ;;
  display) extras="display"; packages=(python3-venv libgl1-mesa-dri libegl1 libegl-mesa0 libmtdev1 espeak-ng alsa-utils) ;;
  # libusb: the "usb" connection kind (python-escpos through pyusb).
  printer) extras="printer"; packages=(python3-venv libusb-1.0-0) ;;
  # The SIP stack is pure Python (rfcvoip); the headset is played and captured by aplay/arecord.
  phone) extras="phone"; packages=(python3-venv alsa-utils) ;;
  *) echo "bootstrap: unknown role '$role' (hub, kiosk, panel, display, printer, phone, demo, test)" >&2; exit 2 ;;
esac

say() { printf 'cherga bootstrap: %s\n' "$*" >&2; }

install_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "missing system packages: ${missing[*]} (run as root on Debian to install them)"
    return 0
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

if command -v dpkg-query >/dev/null; then
  install_packages "${packages[@]}"
fi

"$python" - <<'PY' || { say "Python 3.11 or newer is needed"; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

if [ ! -x "$top/.venv/bin/python" ]; then
  say "creating the virtualenv $top/.venv"
  "$python" -m venv "$top/.venv"
fi
say "installing cherga[$extras]"
"$top/.venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$top/.venv/bin/python" -m pip install -q --disable-pip-version-check -e "$top[$extras]"
if [ "$role" = test ]; then
  # axe-core, the accessibility checker the browser tests inject into each back-office page:
  # a pinned release from PyPI (the wheel that ships it), unpacked into the virtualenv, never
  # kept in the repository nor fetched while the tests run.
  axe="$top/.venv/share/axe-core/axe.min.js"
  if [ ! -s "$axe" ]; then
    say "fetching axe-core 4.12.1 (axe-playwright-python 0.1.8 from PyPI)"
    wheels="$(mktemp -d)"
    "$top/.venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
      -d "$wheels" axe-playwright-python==0.1.8
    mkdir -p "$(dirname "$axe")"
    "$top/.venv/bin/python" -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("axe_playwright_python/axe.min.js"))' "$wheels"/axe_playwright_python-0.1.8-*.whl > "$axe.tmp"
    mv "$axe.tmp" "$axe"
    rm -rf "$wheels"
  fi
fi

[ "$install_only" = 1 ] && exit 0
cd "$top"
exec "$top/.venv/bin/cherga" "$role" "$@"
