#!/usr/bin/env bash
# One-command set-up on Debian/Ubuntu: the Python package with its test tools, a second environment
# with the runtime dependencies only (.runtime-venv/), and LibreOffice (the independent spreadsheet
# engine the tests open every workbook with) plus poppler and CJK fonts.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
command -v soffice >/dev/null || need_apt+=(libreoffice-calc libreoffice-script-provider-python)
/usr/bin/python3 -c "import uno" 2>/dev/null || need_apt+=(python3-uno)  # the tests' LibreOffice probe
dpkg -s libreoffice-writer >/dev/null 2>&1 || need_apt+=(libreoffice-writer)  # renders the Word report draft
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
fc-list 2>/dev/null | grep -qi "noto.*cjk" || need_apt+=(fonts-noto-cjk)
# 安装.cmd runs under Wine in tests/test_bundle.py with a stand-in python.exe built by mingw-w64
# (about 160 MB download, 30 s; Wine's own binary, /usr/lib/wine/wine64, is all it needs).
[ -x /usr/lib/wine/wine64 ] || need_apt+=(wine64)
command -v x86_64-w64-mingw32-gcc >/dev/null || need_apt+=(gcc-mingw-w64-x86-64-win32)
command -v localedef >/dev/null || need_apt+=(locales)
# Calibri's metric twin: without it LibreOffice measures the workbooks' column widths in DejaVu
# digits, a third wider than Excel, and prints every form smaller, pages a quarter empty
fc-list 2>/dev/null | grep -qi "carlito" || need_apt+=(fonts-crosextra-carlito)
python3 -c "import ensurepip" 2>/dev/null || need_apt+=(python3-venv)  # the runtime-only environment
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
# Wine reads the code page (936, GBK) from the locale: the Chinese locale must exist.
locale -a 2>/dev/null | grep -qi "^zh_CN.utf8$" || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"; $SUDO localedef -i zh_CN -f UTF-8 zh_CN.UTF-8; }
python3 -c "import sys, struct; sys.exit(0 if sys.version_info >= (3, 11) else 1)" \
  || { echo "setup: Python 3.11 or newer is required (xlwings 0.37.8)" >&2; exit 1; }
python3 -m pip install -q --disable-pip-version-check -e ".[dev]"
bash scripts/runtime-venv.sh  # the runtime dependencies alone, for tests/test_runtime.py
command -v soffice >/dev/null || { echo "setup: LibreOffice (soffice) is still missing" >&2; exit 1; }
/usr/bin/python3 -c "import uno" || { echo "setup: python3-uno is still missing" >&2; exit 1; }
python3 -c "import antlr4_vba, openxml_audit, oletools, xdist" \
  || { echo "setup: a test tool of the dev extra is missing" >&2; exit 1; }
[ -x /usr/lib/wine/wine64 ] && command -v x86_64-w64-mingw32-gcc >/dev/null \
  || { echo "setup: wine64 or mingw-w64 is still missing" >&2; exit 1; }
echo "setup: ok"
