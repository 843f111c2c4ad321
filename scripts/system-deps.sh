#!/usr/bin/env bash
# Installs the Debian packages the project needs, once. Pass the groups needed:
#   run  : (nothing beyond Python and Node)
#   test : PostgreSQL 15, Chromium (browser tests), gettext, poppler-utils
set -euo pipefail
need=()
for group in "$@"; do
  case "$group" in
    test)
      [ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15 postgresql-contrib-15)
      [ -x /usr/bin/chromium ] || need+=(chromium)
      command -v msgfmt >/dev/null || need+=(gettext)
      command -v pdftoppm >/dev/null || need+=(poppler-utils)
      ;;
    run) ;;
  esac
done
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages: ${need[*]} — install them (sudo apt-get install ${need[*]})." >&2
  exit 1
fi
echo "Installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
