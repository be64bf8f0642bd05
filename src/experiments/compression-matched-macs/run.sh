#!/bin/bash
# Every family at matched MACs (0.8, 0.6, 0.45, 0.3 of the uncompressed model) on the demo model and on a
# harder domain (the demo model fine-tuned on smaller objects and more noise). About 35 minutes on an idle
# 2-core machine. Writes into $OUT (default target/compression-matched-macs).
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=flink-job/target/tocom-stream.jar
OUT=${OUT:-target/compression-matched-macs}
DEMO=flink-job/src/main/resources/demo-model
HARD=$OUT/hard-model
HD="--generator --data-seed 2 --object-scale 0.15,0.45 --noise 20"
mkdir -p $OUT
if [ ! -f $HARD/model.json ]; then
  java -jar $JAR train --model $DEMO $HD --epochs 2 --train-size 3200 --val-size 400 --lr 5e-5 \
      --warmup-epochs 0.1 --crop-fraction 1.0 --seed 0 --log-every 50 --out $HARD
fi
java -jar $JAR evaluate --model $DEMO --generator --test-size 2000 --match-macs 0.8,0.6,0.45,0.3 \
    --json $OUT/demo-matched.json | tee $OUT/demo-matched.txt
java -jar $JAR evaluate --model $HARD $HD --test-size 2000 --match-macs 0.8,0.6,0.45,0.3 \
    --json $OUT/hard-matched.json | tee $OUT/hard-matched.txt
for name in demo hard; do
  if [ $name = demo ]; then MODEL=$DEMO; DATA=--generator; else MODEL=$HARD; DATA=$HD; fi
  LEVELS=none
  for t in 0.80:0.13433 0.60:0.10075 0.45:0.07556 0.30:0.05037; do
    java -jar $JAR diffrate search --model $MODEL $DATA --target-gmacs ${t#*:} --out $OUT/dr-$name-${t%:*}.json
    LEVELS="$LEVELS;diffrate:file=$OUT/dr-$name-${t%:*}.json"
  done
  java -jar $JAR evaluate --model $MODEL $DATA --test-size 2000 --levels "$LEVELS" | tee $OUT/$name-diffrate.txt
done
# DiffRate's merge at ToMe's counts (nothing pruned, block 0 untouched) against ToMe itself
P=65,65,65,65,65,65,65,65,65,65,65,65
java -jar $JAR evaluate --model $HARD $HD --test-size 2000 \
    --levels "tome:4;diffrate:$P/65,61,57,53,49,45,41,37,33,29,25,21;tome:6;diffrate:$P/65,59,53,47,41,35,29,23,17,13,9,7" \
    | tee $OUT/hard-merge-rule.txt
