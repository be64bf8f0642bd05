#!/bin/bash
# The calibrated proof with the kl-line-search rule instead of sqrt-kl-ratio: per downstream model
# and pair, the scale of 0.00625..0.4 (or none) whose KL to the model itself at m is least on 500
# unlabelled VALIDATION scenes; then the same 2,000 TEST scenes and checks as run-proof.sh.
# Needs the downstream models of a run-proof.sh run (its OUT, the same DATA_SEED); PLUGIN defaults
# to that run's plugin (for the seed-1 rows, the plugin of a PLUGIN_SEED=1 run-proof.sh run).
set -euo pipefail
cd "$(dirname "$0")/../../../.."   # the repository root
JAR=flink-job/target/tocom-stream.jar
DATA_SEED=${DATA_SEED:-2}
OUT=${OUT:-target/tocom-proof-calibrated}
PLUGIN=${PLUGIN:-$OUT/tocom-decreasing.safetensors}
RESULT=${RESULT:-$OUT/line-search}
mkdir -p $RESULT
java -jar $JAR tocom proof --plugin $PLUGIN --models $OUT/m0,$OUT/m4,$OUT/m6,$OUT/m8 --line-search \
  --generator --data-seed $DATA_SEED --object-scale 0.15,0.45 --noise 20 --tune-size 500 --test-size 2000 \
  --scales 0.00625,0.0125,0.025,0.05,0.1,0.2,0.4 --bootstrap 2000 \
  --json $RESULT/proof.json --heatmap $RESULT/proof.png | tee $RESULT/summary.txt
