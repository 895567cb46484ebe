#!/usr/bin/env bash
# Make a fresh Raspberry Pi OS Lite (64-bit) the Cherga hub or one appliance. Run it as root,
# once; running it again is harmless: a second run changes nothing and says so.
#
#   /opt/cherga/firmware_config/pi/setup.sh ROLE [--device-config FILE] [--read-only-root]
#       [--audio-card NAME] [--ntp SERVER]... [--timezone ZONE] [--dry-run]
#
# ROLE: hub, kiosk, panel, display, printer or phone. An appliance needs its device config (made
# on the hub by `cherga device add --config-out FILE`), given once with --device-config (it is
# copied to /etc/cherga/device.toml, mode 0600) and read from there afterwards. The system's time
# zone becomes the office's: the device config's `timezone` (written by `cherga device add`), or
# --timezone ZONE (the hub's CHERGA_TIMEZONE, for the hub or an older config naming none).
# --dry-run only says what it would do. CHERGA_ROOT=DIR writes every file under DIR instead of
# / and runs no command (packages, users, systemctl): it lists them (the tests use this).
# CHERGA_PYTHON: a Python with Cherga's packages to check the device config (default: the
# virtualenv beside the code). The steps and the hardware: docs/raspberry_pi.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="$(cd "$here/../.." && pwd)"
files="$here/files"
installed=/opt/cherga

say() { printf 'cherga pi setup: %s\n' "$*"; }
die() { printf 'cherga pi setup: %s\n' "$*" >&2; exit 2; }
usage() {
  sed -n '5,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,3\}//' >&2
  exit 2
}

# ---- arguments -------------------------------------------------------------------------------
role="" dry_run=0 read_only=0 device_config="" audio_card="" ntp=() timezone=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --read-only-root) read_only=1 ;;
    --device-config) [ $# -gt 1 ] || usage; device_config="$2"; shift ;;
    --audio-card) [ $# -gt 1 ] || usage; audio_card="$2"; shift ;;
    --ntp) [ $# -gt 1 ] || usage; ntp+=("$2"); shift ;;
    --timezone) [ $# -gt 1 ] || usage; timezone="$2"; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option '$1' (--device-config, --read-only-root, --audio-card, --ntp, --timezone, --dry-run)" ;;
    *) [ -z "$role" ] || die "one role only (got '$role' and '$1')"; role="$1" ;;
  esac
  shift
done
case "$role" in
  hub|kiosk|panel|display|printer|phone) ;;
  "") usage ;;
  *) die "unknown role '$role' (hub, kiosk, panel, display, printer, phone)" ;;
esac
screen=0 audio=0
case "$role" in kiosk|panel|display) screen=1 ;; esac
case "$role" in panel|display|phone) audio=1 ;; esac
if [ -n "$audio_card" ]; then
  [ "$audio" = 1 ] || die "--audio-card: a $role plays no sound"
  [[ "$audio_card" =~ ^[A-Za-z0-9_]{1,32}$ ]] || die "--audio-card: '$audio_card' is not an ALSA card name (aplay -l lists them)"
fi
for server in ${ntp[@]+"${ntp[@]}"}; do
  [[ "$server" =~ ^[A-Za-z0-9.:-]{1,253}$ ]] || die "--ntp: '$server' is not a host name or address"
done
zone_name='^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$'  # IANA: Europe/Kyiv, America/Argentina/Salta, UTC
if [ -n "$timezone" ]; then
  if ! [[ "$timezone" =~ $zone_name ]] || [ ${#timezone} -gt 64 ]; then
    die "--timezone: '$timezone' is not a time zone name (like Europe/Kyiv)"
  fi
fi
[ "$role" = hub ] && [ "$read_only" = 1 ] && die "--read-only-root is for the appliances: the hub writes its database"
[ "$role" = hub ] && [ -n "$device_config" ] && die "--device-config is for the appliances: the hub has none"

# ---- where it writes, and whether it acts ----------------------------------------------------
root="${CHERGA_ROOT:-/}"
[ -d "$root" ] || die "CHERGA_ROOT: no such folder '$root'"
root="$(cd "$root" && pwd)"
R="${root%/}"  # "" for the real /, so "$R/etc/..." is the real path
live=1         # packages, users and systemctl really run
if [ "$dry_run" = 1 ] || [ -n "$R" ]; then live=0; fi

changed=0 listed=0
act() {  # a command that changes the system: run it, or list it
  if [ "$live" = 1 ]; then
    say "run: $(printf '%q ' "$@")"
    "$@"
    changed=$((changed + 1))
  else
    say "would run: $(printf '%q ' "$@")"
    listed=$((listed + 1))
  fi
}

# put DEST MODE: standard input becomes the file $R/DEST with MODE, unless it already is.
put() {
  local dest="$R$1" mode="$2" new
  new="$(mktemp)"
  cat > "$new"
  if [ -f "$dest" ] && cmp -s "$new" "$dest" && [ "$(stat -c %a "$dest")" = "$mode" ]; then
    rm -f "$new"
    say "ok: $1"
    return 0
  fi
  if [ "$dry_run" = 1 ]; then
    rm -f "$new"
    say "would write: $1"
    listed=$((listed + 1))
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  chmod "$mode" "$new"
  mv -f "$new" "$dest"
  say "wrote: $1"
  changed=$((changed + 1))
}

# link DEST TARGET: $R/DEST becomes a symbolic link to TARGET (a path on the Pi), unless it is.
link() {
  local dest="$R$1" target="$2"
  if [ -L "$dest" ] && [ "$(readlink "$dest")" = "$target" ]; then
    say "ok: $1"
    return 0
  fi
  if [ "$dry_run" = 1 ]; then
    say "would link: $1 -> $target"
    listed=$((listed + 1))
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  ln -sfn "$target" "$dest.cherga-new"
  mv -Tf "$dest.cherga-new" "$dest"
  say "linked: $1 -> $target"
  changed=$((changed + 1))
}

drop() {  # remove $R/$1 if it is there
  [ -e "$R$1" ] || return 0
  if [ "$dry_run" = 1 ]; then
    say "would remove: $1"
    listed=$((listed + 1))
  else
    rm -f "$R$1"
    say "removed: $1"
    changed=$((changed + 1))
  fi
}

# edit FILE PROGRAM: FILE (a boot file that must already exist) through a filter program
# reading the file on its standard input.
edit() {
  local file="$1" mode text
  shift
  mode="$(stat -c %a "$R$file")"
  text="$("$@" < "$R$file")"
  put "$file" "$mode" <<< "$text"
}

# ---- checks before anything is written -------------------------------------------------------
if [ "$live" = 1 ]; then
  [ "$(id -u)" = 0 ] || die "run it as root (sudo), or with --dry-run to see what it would do"
  [ "$top" = "$installed" ] || die "the code is in $top; the units run $installed: copy or clone it there first (docs/raspberry_pi.md)"
  if grep -qw 'boot=overlay' /proc/cmdline 2>/dev/null; then  # as raspi-config tells it
    die "the root is read-only now (overlay): run 'raspi-config nonint disable_overlayfs', reboot, run this again, and it turns the read-only root back on"
  fi
  if [ "$read_only" = 1 ] && ! command -v raspi-config >/dev/null; then
    die "--read-only-root needs Raspberry Pi OS's raspi-config (its overlay root)"
  fi
fi

boot=""  # Raspberry Pi OS's boot partition: /boot/firmware (Bookworm), /boot before
for candidate in /boot/firmware /boot; do
  if [ -f "$R$candidate/cmdline.txt" ] && [ -f "$R$candidate/config.txt" ]; then
    boot="$candidate"
    break
  fi
done

config="/etc/cherga/device.toml"
config_in="$R$config"
rotation=0 touch_x="" touch_y="" touch_device=""
python="${CHERGA_PYTHON:-$top/.venv/bin/python}"
if [ "$role" != hub ]; then
  [ -z "$device_config" ] || config_in="$device_config"
  [ -f "$config_in" ] || die "no device config: make it on the hub (cherga device add --role $role --name NAME --config-out FILE) and pass --device-config FILE"
fi

# The packages this script needs on a Pi beyond the role's own (firmware_config/bootstrap.sh
# installs those with the virtualenv): the clock, SDL's KMS/DRM libraries, the sound tools.
packages=(systemd-timesyncd)
[ "$screen" = 1 ] && packages+=(libgbm1 libdrm2)
[ "$audio" = 1 ] && packages+=(alsa-utils)
missing=()
for package in "${packages[@]}"; do
  dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' "$package" 2>/dev/null \
    | grep -q "install ok installed" || missing+=("$package")
done

venv=0
[ -x "$R$installed/.venv/bin/cherga" ] && venv=1

install_missing() {
  if [ ${#missing[@]} -gt 0 ]; then
    act apt-get update -q
    act apt-get install -y -q --no-install-recommends "${missing[@]}"
    missing=()
  else
    say "ok: packages ${packages[*]}"
  fi
}

# Cherga's own Python is ready once its virtualenv has the cherga command (a half-made one, a
# pip cut short, is made again).
ready=0
if [ -n "${CHERGA_PYTHON:-}" ]; then [ -x "$python" ] && ready=1; else [ -x "$top/.venv/bin/cherga" ] && ready=1; fi
checked=1
if [ "$role" != hub ] && [ "$ready" = 0 ]; then
  if [ "$live" = 1 ]; then
    # A fresh Pi: the device config is checked by Cherga's own code, which needs the virtualenv.
    say "the device config is checked once the virtualenv is made"
    install_missing
    act "$top/firmware_config/bootstrap.sh" --install-only "$role"
    venv=1
  elif [ "$dry_run" = 1 ]; then
    say "the device config is not checked: no virtualenv yet (set CHERGA_PYTHON)"
    checked=0
  else
    die "no Python with Cherga's packages to check the device config: set CHERGA_PYTHON"
  fi
fi
if [ "$role" != hub ] && [ "$checked" = 1 ]; then
  facts="$(PYTHONPATH="$top" "$python" -m firmware_config.pi.device_facts "$role" "$config_in")" \
    || die "device config refused (nothing was changed): see the line above"
  # The role's own settings ([settings]) are checked by the very command the unit runs first.
  PYTHONPATH="$top" "$python" -m hub.cli "$role" --config "$config_in" --validate-config >/dev/null \
    || die "device config refused by 'cherga $role --validate-config' (nothing was changed)"
  while IFS='=' read -r key value; do
    case "$key" in
      rotation) rotation="$value" ;;
      touch_x) touch_x="$value" ;;
      touch_y) touch_y="$value" ;;
      touch_device) touch_device="$value" ;;
      timezone)
        if [ -n "$timezone" ] && [ "$timezone" != "$value" ]; then
          die "--timezone $timezone: the device config names the office's zone $value (nothing was changed)"
        fi
        timezone="$value" ;;
    esac
  done <<< "$facts"
  say "device config $config_in: a $role, screen rotation $rotation${touch_x:+, touch calibrated}${timezone:+, time zone $timezone}"
fi

# The zone must exist in the system's zone files (tzdata) wherever they can be seen.
zoneinfo="$R/usr/share/zoneinfo"
if [ -n "$timezone" ] && { [ "$live" = 1 ] || [ -d "$zoneinfo" ]; } && [ ! -f "$zoneinfo/$timezone" ]; then
  die "time zone '$timezone': no $zoneinfo/$timezone (is the package tzdata installed?); nothing was changed"
fi

say "making this Pi a Cherga $role (root $root$([ "$dry_run" = 1 ] && echo ', dry run'))"

# ---- packages, the code's virtualenv, the service user ---------------------------------------
install_missing
if [ "$venv" = 0 ]; then
  act "$top/firmware_config/bootstrap.sh" --install-only "$role"
else
  say "ok: $installed/.venv (to update it: firmware_config/bootstrap.sh --install-only $role)"
fi
if grep -q '^cherga:' "$R/etc/passwd" 2>/dev/null; then
  say "ok: user cherga"
else
  act useradd --system --user-group --home-dir /var/lib/cherga --no-create-home \
    --shell /usr/sbin/nologin --comment "Cherga services" cherga
fi

# ---- the device config and the role's unit ---------------------------------------------------
if [ "$role" != hub ] && [ "$config_in" != "$R$config" ]; then
  put "$config" 600 < "$config_in"
fi
unit="cherga-$role.service"
put "/etc/systemd/system/$unit" 644 < "$top/systemd/$unit"
enable=("$unit")
if [ "$role" = hub ]; then
  put /etc/systemd/system/cherga-backup.service 644 < "$top/systemd/cherga-backup.service"
  put /etc/systemd/system/cherga-backup.timer 644 < "$top/systemd/cherga-backup.timer"
  enable+=(cherga-backup.timer)
fi

# ---- the screen: the app alone on the console, awake, turned and calibrated ------------------
if [ "$screen" = 1 ]; then
  put "/etc/systemd/system/$unit.d/60-cherga-pi-screen.conf" 644 < "$files/screen-session.conf"
  put /etc/systemd/logind.conf.d/60-cherga-screen.conf 644 < "$files/60-cherga-screen-logind.conf"
  put /etc/sysctl.d/60-cherga-screen.conf 644 < "$files/60-cherga-screen-sysctl.conf"
  if [ -n "$touch_x" ]; then
    put /etc/udev/rules.d/61-cherga-touch.rules 644 < <(
      echo "# The touch screen's calibration from $config ([screen.touch]): the kernel's axis ranges,"
      echo "# so every reader (Kivy included) sees them. Written by firmware_config/pi/setup.sh."
      echo 'ACTION=="remove", GOTO="cherga_touch_end"'
      echo 'SUBSYSTEM!="input", GOTO="cherga_touch_end"'
      echo 'KERNEL!="event*", GOTO="cherga_touch_end"'
      echo 'ENV{ID_INPUT_TOUCHSCREEN}!="1", GOTO="cherga_touch_end"'
      if [ -n "$touch_device" ]; then
        echo "ATTRS{name}==\"$touch_device\", GOTO=\"cherga_touch\""
        echo 'GOTO="cherga_touch_end"'
        echo 'LABEL="cherga_touch"'
      fi
      echo "ENV{EVDEV_ABS_00}=\"$touch_x\", ENV{EVDEV_ABS_01}=\"$touch_y\", ENV{EVDEV_ABS_35}=\"$touch_x\", ENV{EVDEV_ABS_36}=\"$touch_y\", IMPORT{builtin}=\"keyboard\""
      echo 'LABEL="cherga_touch_end"'
    )
  else
    drop /etc/udev/rules.d/61-cherga-touch.rules
  fi
fi

# ---- the printer -----------------------------------------------------------------------------
if [ "$role" = printer ]; then
  put /etc/udev/rules.d/60-cherga-printer.rules 644 < "$files/60-cherga-printer.rules"
fi

# ---- sound -----------------------------------------------------------------------------------
if [ -n "$audio_card" ]; then
  put /etc/asound.conf 644 < <(printf '%s\n' \
    "# Where Cherga's sound goes (setup.sh --audio-card; 'aplay -l' lists the cards)." \
    "defaults.pcm.card $audio_card" "defaults.ctl.card $audio_card")
fi

# ---- every role: watchdog, journal, clock ----------------------------------------------------
put /etc/systemd/system.conf.d/60-cherga-watchdog.conf 644 < "$files/60-cherga-watchdog.conf"
put /etc/systemd/journald.conf.d/60-cherga.conf 644 < "$files/60-cherga-journald.conf"
overlay=0
if [ -n "$boot" ] && grep -qw 'boot=overlay' "$R$boot/cmdline.txt"; then overlay=1; fi
if [ "$read_only" = 1 ] || [ "$overlay" = 1 ]; then
  put /etc/systemd/journald.conf.d/61-cherga-read-only-root.conf 644 \
    < "$files/61-cherga-journald-read-only-root.conf"
else
  drop /etc/systemd/journald.conf.d/61-cherga-read-only-root.conf
fi
put /etc/systemd/timesyncd.conf.d/60-cherga.conf 644 < <(
  echo "# The clock: a device checks the hub's TLS certificate, which needs the right date."
  echo "# NTP: the office's own time servers (setup.sh --ntp SERVER), else the Debian pool."
  echo "[Time]"
  echo "NTP=${ntp[*]+"${ntp[*]}"}"
  echo "FallbackNTP=0.debian.pool.ntp.org 1.debian.pool.ntp.org 2.debian.pool.ntp.org 3.debian.pool.ntp.org"
)
# The office's time zone as the system's (what timedatectl set-timezone writes, and Debian's
# /etc/timezone): the screens' clocks and the journal read the office's time.
if [ -n "$timezone" ]; then
  link /etc/localtime "/usr/share/zoneinfo/$timezone"
  put /etc/timezone 644 <<< "$timezone"
else
  say "no time zone named (device config or --timezone): the system's zone is left as it is"
fi

# ---- the boot partition: the watchdog, sound, the console ------------------------------------
if [ -z "$boot" ]; then
  say "no cmdline.txt and config.txt in /boot/firmware or /boot (not Raspberry Pi OS?): boot settings left alone"
else
  block=("[all]" "dtparam=watchdog=on")
  [ "$audio" = 1 ] && block+=("dtparam=audio=on")
  [ "$screen" = 1 ] && block+=("disable_splash=1")
  # Cherga's lines go in one marked block at the end, replaced whole on every run.
  edit "$boot/config.txt" awk -v block="$(printf '%s\n' "${block[@]}")" '
    /^# >>> cherga/ { skip = 1; next }
    /^# <<< cherga/ { skip = 0; next }
    !skip { print }
    END {
      print "# >>> cherga (firmware_config/pi/setup.sh; edits inside are replaced)"
      print block
      print "# <<< cherga"
    }'
  if [ "$screen" = 1 ]; then
    # The console under the app: never blanked, no cursor, no logo, turned like the app's
    # picture (Kivy turns counter-clockwise, fbcon rotate:3 is counter-clockwise).
    case "$rotation" in 90) fbcon=3 ;; 180) fbcon=2 ;; 270) fbcon=1 ;; *) fbcon=0 ;; esac
    # shellcheck disable=SC2016  # the awk program's own $i
    edit "$boot/cmdline.txt" awk -v want="consoleblank=0 vt.global_cursor_default=0 logo.nologo fbcon=rotate:$fbcon" '
      NR == 1 {
        n = split(want, wanted, " ")
        for (i = 1; i <= n; i++) { key = wanted[i]; sub(/=.*/, "", key); keys[key] = 1 }
        out = ""
        for (i = 1; i <= NF; i++) {
          key = $i; sub(/=.*/, "", key)
          if (!(key in keys)) out = out (out == "" ? "" : " ") $i
        }
        for (i = 1; i <= n; i++) out = out (out == "" ? "" : " ") wanted[i]
        print out
      }'
  fi
fi

# ---- services: enabled for the next boot -----------------------------------------------------
systemctl_state() {  # is-enabled UNIT under the root, "" when it cannot be told
  systemctl --root="$root" is-enabled "$1" 2>/dev/null || true
}
for name in "${enable[@]}" systemd-timesyncd.service; do
  if [ "$(systemctl_state "$name")" = enabled ]; then say "ok: $name enabled"; else act systemctl enable "$name"; fi
done
if [ "$screen" = 1 ]; then
  for name in getty@tty1.service ctrl-alt-del.target; do
    if [ "$(systemctl_state "$name")" = masked ]; then say "ok: $name masked"; else act systemctl mask "$name"; fi
  done
fi
if [ "$role" = hub ] && [ "$(systemctl_state mosquitto.service)" = enabled ]; then
  # The hub runs its own broker (on 8883, with TLS and an access list per device).
  act systemctl disable mosquitto.service
fi
if [ "$read_only" = 1 ]; then
  if [ "$overlay" = 1 ]; then say "ok: read-only root (overlay) on from the next boot"; else act raspi-config nonint enable_overlayfs; fi
fi
if [ "$changed" -gt 0 ] && [ "$live" = 1 ]; then
  if [ -d /run/systemd/system ]; then
    act systemctl daemon-reload
    changed=$((changed - 1))
  else
    say "systemd is not running here (a chroot, an image being made): no daemon-reload"
  fi
fi

# ---- what happened ---------------------------------------------------------------------------
if [ "$dry_run" = 1 ]; then
  say "dry run: $listed change(s) listed above, nothing done"
elif [ "$live" = 1 ] && [ "$changed" -eq 0 ]; then
  say "nothing to change: this Pi is already a Cherga $role"
elif [ "$live" = 1 ]; then
  say "done: $changed change(s); reboot to start the $role (systemctl reboot)"
else
  if [ "$changed" -eq 0 ]; then say "no file changed under $root"; else say "$changed file(s) written under $root"; fi
  say "$listed command(s) not run (the root is not /): listed above"
fi
