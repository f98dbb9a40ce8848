#!/usr/bin/env bash
# The main job in one command: set up whatever is missing, then score the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -m perfeval_xl.cli score examples/2023_岳阳市公共租赁房屋运营服务中心_部门整体支出绩效自评.xlsx
