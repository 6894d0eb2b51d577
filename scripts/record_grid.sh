#!/usr/bin/env bash
# Record every committed run against a running endpoint, resumably: what the cassettes already hold is
# replayed for free, so rerunning after a crash (or after adding cells) costs only what is missing.
#
#   scripts/record_grid.sh [BASE_URL]
#
# BASE_URL defaults to the local server (start it with `llambo-replay serve-local`). To re-record from
# nothing, move cassettes/ and results/recorded/ aside first. Add `--dry-run` to a line to see its cost.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_URL="${1:-http://127.0.0.1:8080/v1}"
CLI=".venv/bin/llambo-replay"
[ -x "$CLI" ] || CLI="llambo-replay"
GRID=(--mode record --base-url "$BASE_URL" --reference --out results/recorded/grid --trials 5 --n-candidates 6 --n-gens 3)

# 1. The demo that README command 1 replays (demo preset: iris/SVM seed 0, 10 trials).
$CLI run --mode record --base-url "$BASE_URL" --out results/recorded/demo

# 2. The grid behind tables/: LLAMBO and the three baselines from the paper's initial points, reduced settings.
$CLI grid --tasks iris/SVM,wine/RandomForest --seeds 0,1 "${GRID[@]}"
$CLI grid --tasks breast/DecisionTree,diabetes/AdaBoost,digits/MLP_SGD,breast/RandomForest,wine/SVM,iris/DecisionTree,diabetes/MLP_SGD,digits/AdaBoost \
    --seeds 0 "${GRID[@]}"
$CLI grid --tasks digits/MLP_SGD --seeds 3 "${GRID[@]}" --trials 8
$CLI grid --tasks breast/SVM,iris/RandomForest,wine/AdaBoost,digits/DecisionTree,diabetes/SVM --seeds 0 "${GRID[@]}"

# 3. The BLAS-sensitive run: digits/MLP_SGD from five chaotic configurations of the paper's history.
$CLI run --dataset digits --model MLP_SGD --initial-points results/recorded/inputs/digits_MLP_SGD_chaotic.json \
    --trials 4 --n-candidates 6 --n-gens 3 --mode record --base-url "$BASE_URL" --out results/recorded/blas-sensitive

# 3b. LLAMBO on a synthetic task (the paper's Rosenbrock function), reduced settings.
$CLI run --task rosenbrock/SVM --trials 5 --n-candidates 6 --n-gens 3 --reference --mode record --base-url "$BASE_URL" \
    --out results/recorded/synthetic

# 4. The component evaluations (record, then replay so that results/components/ is what a replay writes).
$CLI components --mode record --base-url "$BASE_URL"
$CLI components

# 5. The prompt ablations, one short run each (wine/SVM seed 0 from the paper's initial points).
ABLATION=(--mode record --base-url "$BASE_URL" --dataset wine --model SVM --reference --trials 3 --n-candidates 6 --n-gens 3)
$CLI run "${ABLATION[@]}" --context no_context --out results/recorded/ablations/no_context
$CLI run "${ABLATION[@]}" --context partial_context --out results/recorded/ablations/partial_context
$CLI run "${ABLATION[@]}" --anonymise --out results/recorded/ablations/anonymised
$CLI run "${ABLATION[@]}" --shuffle-features --out results/recorded/ablations/shuffled_features
$CLI run "${ABLATION[@]}" --warping --out results/recorded/ablations/warping
$CLI run "${ABLATION[@]}" --out results/recorded/ablations/full_context

$CLI cassettes verify
$CLI cassettes scan
$CLI check
