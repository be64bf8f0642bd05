#!/bin/bash
# Transfer of a base model's plugin to a model fine-tuned from it at a high decreasing ToMe degree.
# Base: the bundled demo model (trained at none on the default generator domain). Fine-tunes: 2 epochs
# at tome-decreasing:10 on a harder generator domain (seed 2, small objects, more noise). For each
# (plugin, model) case: tocom calibrate (kl-line-search, the default) then tocom eval on the model with
# that calibration. Kept small for a shared 2-core machine (each step one to three minutes).
# Usage (from anywhere): OUT=/tmp/tr-run bash src/experiments/tocom-transfer/run.sh [STEP...]
# Steps: plugins, far, near, own, hardplugin, distance (default: these, in that order); rank was not
# run (the shared machine's time ran out; see README.md).
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=${JAR:-flink-job/target/tocom-stream.jar}
BASE_SRC=flink-job/src/main/resources/demo-model
OUT=${OUT:-/tmp/tr-run}
HARD="--generator --data-seed 2 --object-scale 0.1,0.3 --noise 30"   # the fine-tunes' domain
PLUGIN_RECIPE="--degrees decreasing --max-degree 12 --train-size 1024 --held-out-size 64 --batch 32 --epochs 2 --lr 3e-3 --log-every 8"
FT_RECIPE="--level tome-decreasing:10 --epochs 2 --train-size 1024 --val-size 256 --batch 32 --warmup-epochs 0.1 --crop-fraction 1.0 --seed 0 --log-every 8"
mkdir -p $OUT
[ -f $OUT/base/model.json ] || { mkdir -p $OUT/base; cp $BASE_SRC/model.json $BASE_SRC/model.safetensors $OUT/base/; }
j() { java -jar $JAR "$@"; }

# plugin P on MODEL: calibrate on 256 unlabelled hard-domain frames (kl-line-search over 5 scales),
# then eval on 512 labelled TEST scenes (every pair 10->n, at s x the calibrated factor)
case_run() {   # name model plugin
  local name=$1 model=$2 plugin=$3
  j tocom calibrate --model $model --plugin $plugin $HARD --size 256 --scales 0.025,0.05,0.1,0.2,0.4 > $OUT/$name.calibrate.txt 2> $OUT/$name.calibrate.log
  [ "${SKIP_EVAL:-}" = 1 ] || eval_run $name $model $plugin
}
eval_run() {   # name model plugin
  j tocom eval --model $2 --plugin $3 $HARD --test-size 512 --grid 10-\>0,10-\>1,10-\>2,10-\>3,10-\>4,10-\>5,10-\>6,10-\>7,10-\>8,10-\>9,10-\>10,10-\>11,10-\>12 --json $OUT/$1.eval.json > $OUT/$1.eval.txt 2> $OUT/$1.eval.log
  tail -n 3 $OUT/$1.eval.txt
}
fine_tune() {  # dir lr
  [ -f $1/model.json ] && [ ! -d $1/training ] && return 0
  j train --model $OUT/base $HARD $FT_RECIPE --lr $2 --out $1 > $1.train.txt 2> $1.train.log
  rm -rf $1/training
}

steps=${*:-plugins far near own hardplugin distance}
for step in $steps; do
  case $step in
    plugins)   # the base's plugin, trained on the base's own (default) domain
      [ -f $OUT/base-plugin.safetensors ] || j tocom train --model $OUT/base --generator $PLUGIN_RECIPE \
        --out $OUT/base-plugin.safetensors > $OUT/base-plugin.train.txt 2> $OUT/base-plugin.train.log ;;
    far)       # fine-tune at lr 5e-4 (far from the base), base plugin
      fine_tune $OUT/ft-far 5e-4
      rm -rf $OUT/ft-far-b; cp -r $OUT/ft-far $OUT/ft-far-b; case_run far-baseplugin $OUT/ft-far-b $OUT/base-plugin.safetensors ;;
    near)      # fine-tune at lr 5e-5 (nearer the base), base plugin; calibration only (no time for its eval)
      fine_tune $OUT/ft-near 5e-5
      rm -rf $OUT/ft-near-b; cp -r $OUT/ft-near $OUT/ft-near-b; SKIP_EVAL=1 case_run near-baseplugin $OUT/ft-near-b $OUT/base-plugin.safetensors ;;
    own)       # a plugin trained on the far fine-tune itself, same recipe, its own unlabelled (hard) frames
      [ -f $OUT/own-plugin.safetensors ] || j tocom train --model $OUT/ft-far $HARD $PLUGIN_RECIPE \
        --out $OUT/own-plugin.safetensors > $OUT/own-plugin.train.txt 2> $OUT/own-plugin.train.log
      # the model is the plugin's base: no calibration needed; eval at the plugin's s = 0.1
      rm -rf $OUT/ft-far-o; cp -r $OUT/ft-far $OUT/ft-far-o; eval_run far-ownplugin $OUT/ft-far-o $OUT/own-plugin.safetensors ;;
    hardplugin) # the base's plugin trained on the hard domain's frames instead of the base domain's
      [ -f $OUT/base-hard-plugin.safetensors ] || j tocom train --model $OUT/base $HARD $PLUGIN_RECIPE \
        --out $OUT/base-hard-plugin.safetensors > $OUT/base-hard-plugin.train.txt 2> $OUT/base-hard-plugin.train.log
      rm -rf $OUT/ft-far-h; cp -r $OUT/ft-far $OUT/ft-far-h; case_run far-basehardplugin $OUT/ft-far-h $OUT/base-hard-plugin.safetensors ;;
    rank)      # the base's plugin at twice the rank per step
      [ -f $OUT/base-rank4-plugin.safetensors ] || j tocom train --model $OUT/base --generator $PLUGIN_RECIPE --rank-per-step 4 \
        --out $OUT/base-rank4-plugin.safetensors > $OUT/base-rank4-plugin.train.txt 2> $OUT/base-rank4-plugin.train.log
      rm -rf $OUT/ft-far-r; cp -r $OUT/ft-far $OUT/ft-far-r; case_run far-baserank4plugin $OUT/ft-far-r $OUT/base-rank4-plugin.safetensors ;;
    distance)  # KL between base and fine-tunes on 256 hard-domain TEST frames (ModelKl.java)
      for args in "base none ft-far none" "base tome-decreasing:10 ft-far tome-decreasing:10" \
          "ft-far none ft-far tome-decreasing:10" "base none base tome-decreasing:10" "base none ft-near none" \
          "base tome-decreasing:10 ft-near tome-decreasing:10" "ft-near none ft-near tome-decreasing:10"; do
        set -- $args
        java -Dai.djl.offline=true -cp $JAR src/experiments/tocom-transfer/ModelKl.java $OUT/$1 $2 $OUT/$3 $4 256 2>/dev/null | tail -n 1
      done > $OUT/distance.txt ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
