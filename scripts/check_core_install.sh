#!/usr/bin/env bash
# The replay layer as a library: install the core package (no extras) into a fresh venv beside numpy 2
# and the newest scikit-learn, run the README's "Your own openai code" example outside the clone, and
# check that a paper-stack command says what to install instead of failing with a traceback.
#   scripts/check_core_install.sh [numpy-version] [scikit-learn-version]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$repo" "numpy==${1:-2.4.6}" "scikit-learn==${2:-1.9.1}"
"$work/venv/bin/python" - "$repo/README.md" > "$work/example.py" <<'PY'
import re, sys
readme = open(sys.argv[1]).read()
print(re.search(r"```python\n(.*?)```", readme.split("## Your own openai code", 1)[1], re.DOTALL).group(1))
PY
(cd "$work" && "$work/venv/bin/python" example.py && "$work/venv/bin/llambo-replay" cassettes verify --cassettes my-cassettes)
set +e
(cd "$work" && "$work/venv/bin/llambo-replay" run 2> "$work/err")
code=$?
set -e
grep -q "needs the paper stack" "$work/err" && [ "$code" -eq 2 ]
"$work/venv/bin/pip" list 2>/dev/null | grep -E "^(numpy|scikit-learn|openai|httpx2|genai-prices|llambo-replay) "
echo "core install ok: the replay layer records and replays beside numpy ${1:-2.4.6} and scikit-learn ${2:-1.9.1}"
