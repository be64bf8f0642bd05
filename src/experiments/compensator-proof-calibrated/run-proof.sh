#!/bin/bash
# The compensator proof with calibration: ToMe's decreasing schedule (tome-decreasing:r), where the
# bundled demo model loses accuracy (src/docs/demo-model.md). A plugin trained once on the base's own data
# over degrees 0..8 of that schedule; downstream models fine-tuned from the demo model at
# m = 0, 4, 6, 8 on a shifted generator domain (seed 2, smaller objects, more noise); each
# downstream model calibrated for the plugin (tocom calibrate --rule sqrt-kl-ratio: per-pair factors
# from plain KLs on unlabelled VALIDATION frames, written next to it as the stream would use them);
# every model at every n, without and with the plugin at s x factor. Then the same proof with the
# default rule, kl-line-search (line-search/run-line-search.sh). About 32 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=flink-job/target/tocom-stream.jar
BASE=flink-job/src/main/resources/demo-model
DATA_SEED=${DATA_SEED:-2}                   # downstream domain; 3 for the confirmation run in domain-seed-3/
DOMAIN="--generator --data-seed $DATA_SEED --object-scale 0.15,0.45 --noise 20"
OUT=${OUT:-target/tocom-proof-calibrated}   # plugin, downstream models, proof.json and proof.png
TRAIN_SIZE=${TRAIN_SIZE:-8192}              # 2048 for the sensitivity run in plugin-2048-images/
PLUGIN_SEED=${PLUGIN_SEED:-0}
FINE_TUNE_EPOCHS=${FINE_TUNE_EPOCHS:-1}     # 3 for the sensitivity run in fine-tune-3-epochs/
mkdir -p $OUT
java -jar $JAR tocom train --model $BASE --generator --degrees decreasing --max-degree 8 \
  --train-size $TRAIN_SIZE --held-out-size 128 --batch 32 --epochs 8 --lr 3e-3 --relative-floor 0.001 \
  --seed $PLUGIN_SEED --log-every 64 --out $OUT/tocom-decreasing.safetensors
for m in 0 4 6 8; do
  if ! { [ -f $OUT/m$m/model.json ] && grep -q '"trainedCompression"' $OUT/m$m/model.json && [ ! -d $OUT/m$m/training ]; }; then
    java -jar $JAR train --model $BASE $DOMAIN --level tome-decreasing:$m --epochs $FINE_TUNE_EPOCHS --train-size 3200 \
      --val-size 400 --lr 5e-5 --warmup-epochs 0.1 --crop-fraction 1.0 --seed 0 --log-every 25 --out $OUT/m$m
  fi
  # What a user deploys: the calibration next to the fine-tuned model (the proof measures the same).
  java -jar $JAR tocom calibrate --model $OUT/m$m --plugin $OUT/tocom-decreasing.safetensors --rule sqrt-kl-ratio --base $BASE \
    $DOMAIN --size 500
done
java -jar $JAR tocom proof --plugin $OUT/tocom-decreasing.safetensors \
  --models $OUT/m0,$OUT/m4,$OUT/m6,$OUT/m8 --calibrate-with $BASE \
  $DOMAIN --tune-size 500 --test-size 2000 --scales 0.05,0.1,0.2,0.4 --bootstrap 2000 \
  --json $OUT/proof.json --heatmap $OUT/proof.png
# The same models with the default calibration rule of tocom calibrate (kl-line-search), into $OUT/line-search.
OUT=$OUT DATA_SEED=$DATA_SEED bash src/experiments/compensator-proof-calibrated/line-search/run-line-search.sh
