#!/bin/bash
# One Token Compensator over rungs of five families (ToMe, decreasing ToMe, EViT, GTP, IdleViT, each near 0.3-0.45
# of the MACs) on the harder domain's model (the demo model fine-tuned on smaller objects and more noise, from
# ../compression-matched-macs/run.sh), the default recipe (4000 unlabelled TRAIN scenes, 10 epochs): does the
# delta help each family? Then the line-search calibration on the same model, and the evaluation again with it.
# About 25 minutes on an idle 2-core machine. Writes into $OUT (default target/tocom-rungs).
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=${JAR:-flink-job/target/tocom-stream.jar}
OUT=${OUT:-target/tocom-rungs}
HARD=${HARD:-target/compression-matched-macs/hard-model}
HD="--generator --data-seed 2 --object-scale 0.15,0.45 --noise 20"
LEVELS="none;tome:6;tome-decreasing:6;evit:0.38;gtp:6;idle:0.4"
mkdir -p $OUT
rm -rf $OUT/model && cp -r $HARD $OUT/model && rm -f $OUT/model/tocom.safetensors $OUT/model/tocom.json $OUT/model/tocom-scales.json
java -jar $JAR tocom train --model $OUT/model $HD --levels "$LEVELS" --out $OUT/rungs.safetensors --log-every 50 \
    2> $OUT/train.log | tee $OUT/train.txt
java -jar $JAR tocom eval --model $OUT/model --plugin $OUT/rungs.safetensors $HD --test-size 2000 --levels "$LEVELS" \
    --json $OUT/eval.json --heatmap $OUT/eval.png | tee $OUT/eval.txt
java -jar $JAR tocom calibrate --model $OUT/model --plugin $OUT/rungs.safetensors $HD | tee $OUT/calibrate.txt
# the stream's pairs (none -> every rung), each at its calibrated scale
java -jar $JAR tocom eval --model $OUT/model --plugin $OUT/rungs.safetensors $HD --test-size 2000 \
    --json $OUT/eval-calibrated.json | tee $OUT/eval-calibrated.txt
