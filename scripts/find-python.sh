#!/usr/bin/env bash
# Prints the path of a Python 3.13 interpreter, or explains what is missing.
set -euo pipefail
want="$(cat "$(dirname "$0")/../.python-version" 2>/dev/null || echo 3.13.0)"
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  candidates+=("$(pyenv root)/versions/${want}/bin/python3")
fi
candidates+=("${PYENV_ROOT:-$HOME/.pyenv}/versions/${want}/bin/python3")
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin; do candidates+=("$dir/python3"); done
candidates+=("$(command -v python3.13 || true)" "$(command -v python3 || true)")
for py in "${candidates[@]}"; do
  [ -n "$py" ] && [ -x "$py" ] || continue
  if "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)' 2>/dev/null; then
    echo "$py"; exit 0
  fi
done
echo "Python 3.13 is needed (pyenv install ${want}, or a python3.13 on PATH)." >&2
exit 1
