#!/bin/bash
# Confirmation on a downstream domain never looked at (generator seed 4; the same object sizes and
# noise as run-proof.sh): fine-tune m = 0, 4, 6, 8 as run-proof.sh does, then four proofs: the
# plugins of seed 0 and seed 1 (trained here by run-proof.sh's tocom train line, 8,192 images; a
# finished plugin is kept), each calibrated by kl-line-search and by sqrt-kl-ratio.
# (Run on 2026-11-22 with the same commands and OUT under /tmp, with the two plugins then committed;
# ~40 minutes on 2 cores, plus ~9 minutes per plugin to train.)
set -euo pipefail
cd "$(dirname "$0")/../../../.."   # the repository root
JAR=flink-job/target/tocom-stream.jar
BASE=flink-job/src/main/resources/demo-model
DOMAIN="--generator --data-seed 4 --object-scale 0.15,0.45 --noise 20"
OUT=${OUT:-target/tocom-proof-domain-4}
mkdir -p $OUT
for seed in 0 1; do
  java -jar $JAR tocom train --model $BASE --generator --degrees decreasing --max-degree 8 \
    --train-size 8192 --held-out-size 128 --batch 32 --epochs 8 --lr 3e-3 --relative-floor 0.001 \
    --seed $seed --log-every 64 --out $OUT/plugin-seed-$seed/tocom-decreasing.safetensors
done
for m in 0 4 6 8; do
  if [ ! -f $OUT/m$m/model.json ] || [ -d $OUT/m$m/training ]; then
    java -jar $JAR train --model $BASE $DOMAIN --level tome-decreasing:$m --epochs 1 --train-size 3200 \
      --val-size 400 --lr 5e-5 --warmup-epochs 0.1 --crop-fraction 1.0 --seed 0 --log-every 25 --out $OUT/m$m
  fi
done
M=$OUT/m0,$OUT/m4,$OUT/m6,$OUT/m8
proof() { # name plugin extra...
  n=$1; p=$2; shift 2
  mkdir -p $OUT/$n
  java -jar $JAR tocom proof --plugin $p --models $M $DOMAIN --tune-size 500 --test-size 2000 --bootstrap 2000 \
    "$@" --json $OUT/$n/proof.json --heatmap $OUT/$n/proof.png | tee $OUT/$n/summary.txt
}
LINE="--line-search --scales 0.00625,0.0125,0.025,0.05,0.1,0.2,0.4"
proof line-search-plugin-seed-0 $OUT/plugin-seed-0/tocom-decreasing.safetensors $LINE
proof line-search-plugin-seed-1 $OUT/plugin-seed-1/tocom-decreasing.safetensors $LINE
proof sqrt-plugin-seed-0 $OUT/plugin-seed-0/tocom-decreasing.safetensors --calibrate-with $BASE --scales 0.05,0.1,0.2,0.4
proof sqrt-plugin-seed-1 $OUT/plugin-seed-1/tocom-decreasing.safetensors --calibrate-with $BASE --scales 0.05,0.1,0.2,0.4
