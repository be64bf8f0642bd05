#!/bin/bash
# The compensator proof over constant ToMe degrees: downstream models fine-tuned from the bundled
# demo model at m = 0, 2, 4, 6 on a
# shifted generator domain (seed 2, smaller objects, more noise), the bundled plugin (trained once
# on the base's own data) applied to all of them.
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=flink-job/target/tocom-stream.jar
BASE=flink-job/src/main/resources/demo-model
DOMAIN="--generator --data-seed 2 --object-scale 0.15,0.45 --noise 20"
OUT=${OUT:-target/tocom-proof}   # downstream models, proof.json and proof.png
for m in 0 2 4 6; do
  [ -f $OUT/m$m/model.json ] && grep -q '"trainedCompression"' $OUT/m$m/model.json && [ ! -d $OUT/m$m/training ] && continue
  java -jar $JAR train --model $BASE $DOMAIN --tome $m --epochs 1 --train-size 3200 --val-size 400 \
    --lr 5e-5 --warmup-epochs 0.1 --crop-fraction 1.0 --seed 0 --log-every 25 --out $OUT/m$m
done
java -jar $JAR tocom proof --plugin $BASE/tocom.safetensors --models $OUT/m0,$OUT/m2,$OUT/m4,$OUT/m6 \
  $DOMAIN --tune-size 500 --test-size 2000 --scales 0.05,0.1,0.2,0.4 --bootstrap 2000 \
  --json $OUT/proof.json --heatmap $OUT/proof.png
