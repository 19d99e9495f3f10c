#!/usr/bin/env bash
# Installs wedesk's build and test dependencies from Debian 12 packages.
# Idempotent: only packages that are missing are installed; nothing happens when all are there.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git
  # clang + libFuzzer runtime + llvm-symbolizer for scripts/fuzz.sh
  clang libclang-rt-14-dev llvm
  # libraries
  libboost-dev libcpp-httplib-dev libssl-dev nlohmann-json3-dev libsqlitecpp-dev libsqlite3-dev
  catch2 libpugixml-dev libspdlog-dev libfmt-dev libcli11-dev libldap-dev
  # tools used by tests and scripts
  sqlite3 openssl nodejs npm tmux
  # real directory servers for the reset integration tests
  slapd ldap-utils
  samba samba-ad-dc samba-ad-provision samba-dsdb-modules python3-samba samba-common-bin winbind
)

missing=()
for p in "${PKGS[@]}"; do
  # A package counts as present when dpkg says "install ok installed", or (nodejs/npm) when the
  # command is already on the machine from another source.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# slapd asks debconf questions on install; we never use the system instance (tests start their
# own), so keep it unconfigured and quiet.
echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The packaged slapd service is not needed and must not hold port 389.
if command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now slapd >/dev/null 2>&1 || true
fi
echo "install-deps: done"
