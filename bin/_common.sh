# Shared helpers for bin/start and bin/test (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# ZONEBOOK_VENV selects another virtualenv (bin/smoke-start installs into a fresh one).
VENV="${ZONEBOOK_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

apt_install() {
  # apt_install PKG... : installs Debian packages that are missing (quietly).
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ ! -f /tmp/.zonebook-apt-updated ]; then
    $SUDO apt-get update -qq >/dev/null && touch /tmp/.zonebook-apt-updated || true
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  if [ ! -x "$PY" ]; then
    log "creating virtualenv in $VENV"
    python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
  fi
  local stamp="$VENV/.zonebook-installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || { [ "${1:-}" = test ] && [ ! -f "$VENV/.zonebook-test" ]; }; then
    log "installing Zonebook and its dependencies"
    "$PY" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    if [ "${1:-}" = test ]; then
      "$PY" -m pip install -q -e ".[test]"
      touch "$VENV/.zonebook-test"
    else
      "$PY" -m pip install -q -e .
    fi
    touch "$stamp"
  fi
}

compile_messages() {
  command -v msgfmt >/dev/null 2>&1 || apt_install gettext || true
  if command -v msgfmt >/dev/null 2>&1; then
    (cd "$ROOT/zonebook" && "$PY" ../manage.py compilemessages -v 0 --ignore=.venv)
  fi
}
