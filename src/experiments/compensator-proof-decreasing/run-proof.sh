#!/bin/bash
# The compensator proof over ToMe's decreasing schedule (tome-decreasing:r), where the bundled demo
# model does lose accuracy (src/docs/demo-model.md): a plugin trained once on the base's own data over
# degrees 0..8 of that schedule, downstream models fine-tuned from the demo model at m = 0, 4, 6, 8
# on a shifted generator domain (seed 2, smaller objects, more noise), every model at every n.
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=flink-job/target/tocom-stream.jar
BASE=flink-job/src/main/resources/demo-model
DOMAIN="--generator --data-seed 2 --object-scale 0.15,0.45 --noise 20"
OUT=${OUT:-target/tocom-proof-decreasing}   # plugin, downstream models, proof.json and proof.png
FINE_TUNE_EPOCHS=${FINE_TUNE_EPOCHS:-1}   # 3 for the sensitivity run in fine-tune-3-epochs/
TRAIN_SIZE=${TRAIN_SIZE:-2048}             # 8192 for the run in plugin-8192-images/
PLUGIN_SEED=${PLUGIN_SEED:-0}              # 1 for the run in plugin-seed-1/
mkdir -p $OUT
java -jar $JAR tocom train --model $BASE --generator --degrees decreasing --max-degree 8 \
  --train-size $TRAIN_SIZE --held-out-size 128 --batch 32 --epochs 8 --lr 3e-3 --relative-floor 0.001 --log-every 16 \
  --seed $PLUGIN_SEED --out $OUT/tocom-decreasing.safetensors
for m in 0 4 6 8; do
  [ -f $OUT/m$m/model.json ] && grep -q '"trainedCompression"' $OUT/m$m/model.json && [ ! -d $OUT/m$m/training ] && continue
  java -jar $JAR train --model $BASE $DOMAIN --level tome-decreasing:$m --epochs $FINE_TUNE_EPOCHS --train-size 3200 \
    --val-size 400 --lr 5e-5 --warmup-epochs 0.1 --crop-fraction 1.0 --seed 0 --log-every 25 --out $OUT/m$m
done
java -jar $JAR tocom proof --plugin $OUT/tocom-decreasing.safetensors \
  --models $OUT/m0,$OUT/m4,$OUT/m6,$OUT/m8 \
  $DOMAIN --tune-size 500 --test-size 2000 --scales 0.05,0.1,0.2,0.4 --bootstrap 2000 \
  --json $OUT/proof.json --heatmap $OUT/proof.png
