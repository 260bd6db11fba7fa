# Shared by the scripts in this folder: sourced, never run.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
VENV="$REPO_ROOT/.venv"

# say: one line of progress, prefixed with the script's name.
say() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }
# die: a clear message on stderr and a non-zero exit.
die() { printf '[%s] ERROR: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

is_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }
