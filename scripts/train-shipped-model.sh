#!/usr/bin/env bash
# Trains the shipped model with the recipe documented in README (and recorded in the model's metadata):
#   1. digits: 22 epochs of MNIST with augmentation (OUT.base.cnn; skipped when that file exists);
#   2. not a digit: 8 epochs more from there with an eleventh output, "not a digit", taught on negatives
#      (letters and symbols in handwriting fonts, doodles, noise textures, Fashion-MNIST's training split,
#      pairs of touching training digits), and with training digits also drawn as uploads and read by the
#      recognizer, 30% of them cut out of a written number with bits of their neighbours;
#   3. calibration: a temperature and the thresholds, fitted on the validation split (never the test set),
#      and the feature density (Gaussians over the features of 20,000 training digits, clean and as uploads)
#      whose mix with the digit score decides what is not a digit;
#   4. the pair reader beside it (pairnet.cnn in the same folder), unless that file exists: one digit or two
#      written close, made from training digits, 4 epochs (digit-trainer train-pairs), then 3 epochs more on
#      new groups, 30% of them redrawn with a pen and 20% with a stroke broken;
#   5. the number model beside it (readnet.cnn), unless that file exists: step 2 again from the same digits'
#      weights, with more uploads and a third of them redrawn with a pen, then step 3. /read reads each
#      piece of a number with it; the digit model still decides what is not a digit.
#   6. the line reader beside it (linenet.cnn), unless that file exists: 12 epochs of 60,000 made-up lines
#      (digit-trainer train-lines), then its confidence fitted on validation lines, then its text prior
#      (digit-trainer train-prior: a character 4-gram model of 400,000 made-up texts, its weight chosen on
#      6,000 validation lines);
#   7. the orientation model beside it (orientnet.cnn), unless that file exists: 8 epochs over the glyphs of
#      100,000 made-up lines, each turned a random quarter turn (digit-trainer train-orientation).
# Steps 2 and 3 need Fashion-MNIST and the fonts: scripts/setup.sh train installs them.
# Usage: scripts/train-shipped-model.sh TRAINER MNIST_DIR OUT [extra digit-trainer train flags...]
set -euo pipefail
trainer=${1:?usage: train-shipped-model.sh TRAINER MNIST_DIR OUT}
data=${2:?MNIST folder}
out=${3:?output model}
shift 3
mkdir -p "$(dirname "$out")"
base="${out%.cnn}.base.cnn"
augment=(--rotation 12 --zoom 0.12 --shift 2.5 --thickness 0.2 --seed 1)
if [ ! -f "$base" ]; then
    "$trainer" train --data "$data" --out "$base" --arch digitnet-plus --epochs 22 --batch-size 128 \
        --optimizer adam --lr 0.002 --schedule cosine "${augment[@]}" --metrics "${base%.cnn}.metrics.json" "$@"
fi
extra=("$@")
# Steps 2 and 3 for MODEL, from the base's weights; FLAGS are the step's own (epochs, uploads).
# Usage: not_a_digit_step MODEL FLAGS...
not_a_digit_step() {
    local model=$1
    shift
    "$trainer" train --data "$data" --out "$model" --init "$base" --arch digitnet-plus --batch-size 128 \
        --optimizer adam --lr 0.0005 --schedule cosine "${augment[@]}" --negatives 10000 \
        --uploads-in-context 0.3 --rejection class --metrics "${model%.cnn}.metrics.json" "$@" "${extra[@]}"
    "$trainer" calibrate --model "$model" --data "$data" --seed 1 --accept 0.99 --density-digits 20000
}
not_a_digit_step "$out" --epochs 8 --uploads 20000
pairs="$(dirname "$out")/pairnet.cnn"
if [ ! -f "$pairs" ]; then
    first="${pairs%.cnn}.first.cnn"
    "$trainer" train-pairs --data "$data" --out "$first" --samples 400000 --validation 10000 --epochs 4 --seed 1
    "$trainer" train-pairs --data "$data" --out "$pairs" --init "$first" --samples 400000 --validation 10000 \
        --epochs 3 --lr 0.0005 --seed 3 --restroked 0.3 --broken 0.2
    rm -f "$first"
fi
numbers="$(dirname "$out")/readnet.cnn"
if [ ! -f "$numbers" ]; then
    not_a_digit_step "$numbers" --epochs 12 --uploads 30000 --uploads-restroked 0.35
fi
lines="$(dirname "$out")/linenet.cnn"
if [ ! -f "$lines" ]; then
    "$trainer" train-lines --data "$data" --out "$lines" --epochs 12 --lines 60000 --batch-size 32 --lr 0.001 \
        --upside-down 0 --seed 1 --quiet
    "$trainer" train-prior --data "$data" --model "$lines" --texts 400000 --order 4 --validation-lines 6000 \
        --plain-share 0.3 --floor 0.01 --seed 1
fi
turns="$(dirname "$out")/orientnet.cnn"
if [ ! -f "$turns" ]; then
    "$trainer" train-orientation --data "$data" --out "$turns" --epochs 8 --lines 100000 --validation-lines 3000 \
        --seed 1 --quiet
fi
