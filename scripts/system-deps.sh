#!/usr/bin/env bash
# Installs the Debian packages the project needs, once. Pass the groups needed:
#   run  : Kannel (SMS gateway + its fake SMSC for the demo), WeasyPrint's font subsetting
#   test : PostgreSQL 15, Chromium (browser tests), gettext, poppler-utils, Dovecot (IMAP on loopback)
set -euo pipefail
need=()
for group in "$@"; do
  case "$group" in
    test)
      [ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15 postgresql-contrib-15)
      [ -x /usr/bin/chromium ] || need+=(chromium)
      command -v msgfmt >/dev/null || need+=(gettext)
      command -v pdftoppm >/dev/null || need+=(poppler-utils)
      [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
      ;&
    run)
      [ -x /usr/sbin/bearerbox ] || need+=(kannel)
      [ -x /usr/lib/kannel/test/fakesmsc ] || need+=(kannel-extras)
      /sbin/ldconfig -p | grep -q libharfbuzz-subset.so.0 || need+=(libharfbuzz-subset0)
      ;;
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
# The packages' own system services would listen on every interface: the project starts
# its own instances on 127.0.0.1 (scripts/kannel.sh, scripts/mail.sh), so stop those.
for service in dovecot kannel; do
  if [ -x "/etc/init.d/$service" ]; then "/etc/init.d/$service" stop >/dev/null 2>&1 || true; fi
done
