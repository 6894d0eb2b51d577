#!/usr/bin/env bash
# Record the paper-scale baseline comparison (no LLM needed): every baseline of the grid on the 40 Bayesmark
# tasks (25 public + 15 synthetic) x seeds 0-4, from the paper's shared initial points, 5 + 25 evaluations.
# Resumable: cells already done are skipped and recorded evaluations are replayed, so rerun it after a stop.
# Seed-major, so that every finished seed is a complete slice that `tables` can compare. A seed with failed
# cells (reported by `grid`) does not stop the next; the script exits with the worst status at the end.
#
#   scripts/record_paper_grid.sh [SEEDS] [METHODS]      (default: 0 1 2 3 4, and the methods below)
#
# SMAC needs the baselines extra (README "Baselines"). Output: results/recorded/paper-grid/, cassettes/.
set -uo pipefail
cd "$(dirname "$0")/.."
CLI=".venv/bin/llambo-replay"
[ -x "$CLI" ] || CLI="llambo-replay"
SEEDS="${1:-0 1 2 3 4}"
METHODS="${2:-random,skopt,optuna,smac,tpe}"
worst=0
for seed in $SEEDS; do
    $CLI grid --methods "$METHODS" --datasets breast,digits,iris,wine,diabetes,griewank,ktablet,rosenbrock \
        --models RandomForest,DecisionTree,SVM,AdaBoost,MLP_SGD --seeds "$seed" --preset paper --reference \
        --mode auto --jobs "${JOBS:-2}" --out results/recorded/paper-grid
    status=$?
    case $status in 130|143) exit $status ;; esac   # interrupted: stop here, as asked
    [ "$status" -gt "$worst" ] && worst=$status
done
exit "$worst"
