#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the project with its dev tools.
#
# Quick when nothing changed: the install runs again only when pyproject.toml (or the
# interpreter) differs from the one recorded in .venv/.installed-from.
#   PYTHON=/path/to/python3.11 scripts/bootstrap.sh   # use another interpreter
set -euo pipefail
# shellcheck source=scripts/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$REPO_ROOT"

PYTHON="${PYTHON:-python3.11}"
STAMP="$VENV/.installed-from"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    die "$PYTHON not found. The registry needs Python 3.11: on Debian 12, run
    apt-get install -y python3.11 python3.11-venv
or set PYTHON=/path/to/python3.11."
fi

venv_is_usable() {
    [[ -x "$VENV/bin/python" ]] &&
        "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null
}

if ! venv_is_usable; then
    if [[ -e "$VENV" ]]; then
        say "$VENV is not a working Python 3.11 environment: recreating it"
        rm -rf "$VENV"
    fi
    say "creating $VENV with $(command -v "$PYTHON")"
    "$PYTHON" -m venv "$VENV" ||
        die "could not create the virtual environment; on Debian: apt-get install -y python3.11-venv"
fi

wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) $("$VENV/bin/python" -VV | tr -s ' ' '_')"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$wanted" ]]; then
    say "dependencies up to date (.venv)"
    exit 0
fi

say "installing the registry and its dev tools: pip install -e '.[dev]'"
pip_opts=(--disable-pip-version-check --no-input)
if is_ci; then pip_opts+=(--progress-bar off); else pip_opts+=(--quiet); fi
"$VENV/bin/python" -m pip install "${pip_opts[@]}" -e '.[dev]'
printf '%s\n' "$wanted" >"$STAMP"
say "dependencies installed"
