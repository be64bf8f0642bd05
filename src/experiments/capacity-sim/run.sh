#!/bin/bash
# Cost control simulated: `capacity-sim` on the default trace (calm 1.3 slots for 20 min, 2.6 for 30 min,
# 1.3 for 40 min) over the demo model's ladder measured on the cameras' frames on the 2-core development VM
# (../ladder-cameras/demo/ladder.json: rung 0 at 261.2 frames/s end to end, rungs at 1.26x and 1.51x), with the
# default 30 s per rescale. Deterministic; about a second. Writes into $OUT (default target/capacity-sim).
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=${JAR:-flink-job/target/tocom-stream.jar}
OUT=${OUT:-target/capacity-sim}
mkdir -p $OUT
java -jar $JAR capacity-sim --ladder src/experiments/ladder-cameras/demo/ladder.json --out $OUT "$@" \
    | tee $OUT/capacity-sim-output.txt
