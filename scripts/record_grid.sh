#!/usr/bin/env bash
# Re-record every committed run from scratch against a running endpoint, resumably.
#
#   scripts/record_grid.sh [BASE_URL] [REFERENCE_DIR]
#
# BASE_URL defaults to the local server (start it with `llambo-replay serve-local`).
# Cells already recorded are skipped and interrupted ones resume from their cassettes, so
# rerunning after a crash costs only what is missing. To re-record from nothing, move
# cassettes/ and results/recorded/ aside first.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_URL="${1:-http://127.0.0.1:8080/v1}"
REFERENCE_FLAG="--reference${2:+=$2}"  # the packaged copy of the paper's data, or DIR
CLI=".venv/bin/llambo-replay"
[ -x "$CLI" ] || CLI="llambo-replay"

# 1. The demo that README command 1 replays (demo preset: iris/SVM seed 0, 10 trials).
$CLI run --mode record --base-url "$BASE_URL" --out results/recorded/demo

# 2. The grid behind the committed tables: one task per model across the five datasets, two seeds,
#    reduced LLAMBO settings (stated in each manifest), on the paper's initial points; plus the
#    baselines on the same points and budget.
for cell in iris:SVM wine:RandomForest breast:DecisionTree digits:MLP_SGD diabetes:AdaBoost; do
  dataset="${cell%%:*}"; model="${cell##*:}"
  $CLI grid --methods llambo,random,gp_ei,tpe --datasets "$dataset" --models "$model" --seeds 0,1 \
      --mode record --base-url "$BASE_URL" "$REFERENCE_FLAG" --out results/recorded/grid \
      --trials 5 --n-candidates 6 --n-gens 3
done
$CLI cassettes verify
$CLI cassettes scan
