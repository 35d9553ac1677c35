#!/usr/bin/env bash
# What the test suite needs beyond Python packages: Debian's Chromium (browser tests),
# Pango and the DejaVu fonts (WeasyPrint's PDF reports) and axe-core from the npm registry
# (accessibility checks). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi 'DejaVuSans' || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installation de ${need[*]} (paquets Debian)..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  echo "Installation d'axe-core (npm)..."
  npm install --no-save --no-package-lock --silent --no-audit --no-fund axe-core@4 >/dev/null
fi
echo "Dépendances de test prêtes : $(command -v chromium), Pango, node_modules/axe-core"
