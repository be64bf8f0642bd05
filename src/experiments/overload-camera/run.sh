#!/bin/bash
# The job on its defaults at 0.5x, 1.5x, 0.5x of its level-none capacity with 4 cameras of 320-px JPEG frames:
# first the bundled model's derived ladder alone (about 7 minutes), then the derived ladder against the
# ladder measured by ../ladder-demo-320/run.sh (about 12 minutes). Run on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=flink-job/target/tocom-stream.jar
OUT=${OUT:-target/overload-camera}
MODEL=${MODEL:-/tmp/demo-model}
java -jar $JAR loadtest --policies default --frame-size 320 --streams 4 --phases 0.5,1.5,0.5 --phase-seconds 60 \
    --capacity-frames 4000 --out $OUT || true     # exit 1 when a check fails
[ -f "$MODEL/ladder.json" ] || MODEL=$MODEL bash src/experiments/ladder-demo-320/run.sh
java -jar $JAR loadtest --model "$MODEL" --ladders derived,measured --policies default --frame-size 320 --streams 4 \
    --phases 0.5,1.5,0.5 --phase-seconds 60 --capacity-frames 4000 --out $OUT/ladders || true
