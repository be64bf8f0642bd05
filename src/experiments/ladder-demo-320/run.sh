#!/bin/bash
# The demo model's ladder measured end to end on 320-px JPEG frames (about 2.5 minutes on an idle 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
MODEL=${MODEL:-/tmp/demo-model}
rm -rf "$MODEL" && cp -r flink-job/src/main/resources/demo-model "$MODEL"
java -jar flink-job/target/tocom-stream.jar ladder --model "$MODEL" --generator --frame-size 320 --rungs 1.25,1.5,2,3
