#!/bin/sh
# Update the pages' catalogues after changing a message: extract every message of the code and
# templates (babel.cfg) and merge it into sandbox/webkit/locales/{fr,en}. Then translate the
# new French entries (msgstr "") and check: .venv/bin/pytest tests/sandbox/test_i18n.py
set -e
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
LOCALES=sandbox/webkit/locales
POT=$(mktemp)
trap 'rm -f "$POT"' EXIT
"$BIN/pybabel" extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 \
  -k pgettext:1c,2 -k Nn_:1,2 -k Nc_:1c,2 --no-location --sort-output --omit-header -o "$POT" .
for lang in fr en; do
  "$BIN/pybabel" update -i "$POT" -d "$LOCALES" -l "$lang" --no-fuzzy-matching \
    --ignore-obsolete --width=100
done
