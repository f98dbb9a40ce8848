#!/usr/bin/env bash
# The tests in one command (what .ci/run calls): set up whatever is missing, then run pytest with
# one worker per core (pytest-xdist; each worker starts its own LibreOffice once).
# PERFEVAL_BUNDLE_PYTHONS="3.11 3.12 3.13 3.14" builds the offline bundle for every supported
# Python in the bundle test (CI builds three: 3.11 3.13 3.14).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# The collect tests once more with openpyxl writing without lxml (python-docx brings lxml, so the
# main pass writes through it): exports from either kind of installation must verify and collect
# alike. That pass runs beside the main one; its output follows the main pass's.
if [ "$#" -eq 0 ]; then
  plain_log="$(mktemp)"
  PERFEVAL_TEST_LXML=0 python3 -m pytest -q -p no:cacheprovider tests/test_collect.py tests/test_bureau.py \
    >"$plain_log" 2>&1 &
  plain_pid=$!
fi
status=0
PERFEVAL_TEST_LXML=1 python3 -m pytest -q -p no:cacheprovider -n auto --dist loadgroup "$@" || status=$?
if [ -n "${plain_pid:-}" ]; then
  plain=0
  wait "$plain_pid" || plain=$?
  echo "--- the same collect tests, openpyxl without lxml:"
  cat "$plain_log"
  rm -f "$plain_log"
  [ "$plain" -eq 0 ] || exit "$plain"
fi
# pytest exits 5 when it collected no tests: for CI that is a failure, said out loud.
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests" >&2
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"
