#!/usr/bin/env bash
# Creates .venv with Python >= 3.12 (Django 6 needs it) and installs the given requirements file from its lock:
# requirements.txt -> requirements.lock, requirements-dev.txt -> requirements-dev.lock (every package pinned, with
# hashes; see README "Dependencies" for regenerating them).
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:-requirements.txt}"

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  for candidate in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python /usr/local/bin/python3.1[2-9]; do
    if [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  py=$(find_python) || { echo "supportdesk needs Python 3.12 or newer (set PYTHON=/path/to/python3.12)" >&2; exit 1; }
  echo "== creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv
fi
lock="${req%.txt}.lock"
stamp=".venv/.installed-$(basename "$req")"
if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ] || { [ -f "$lock" ] && [ "$lock" -nt "$stamp" ]; }; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ -f "$lock" ]; then
    echo "== installing $lock (pinned, hashes checked)"
    .venv/bin/python -m pip install --quiet --require-hashes -r "$lock"
    # A requirement added to $req after the lock was made is still installed, but say so: regenerate the lock.
    if .venv/bin/python -m pip install --dry-run -r "$req" 2>/dev/null | grep -q "^Would install"; then
      echo "!! $lock is older than $req: installing the rest unpinned; regenerate the lock (README: Dependencies)" >&2
      .venv/bin/python -m pip install --quiet -r "$req"
    fi
  else
    echo "== installing $req"
    .venv/bin/python -m pip install --quiet -r "$req"
  fi
  touch "$stamp"
fi
