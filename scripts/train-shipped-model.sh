#!/usr/bin/env bash
# Trains the shipped model with the recipe documented in README (and recorded in the model's metadata).
# Usage: scripts/train-shipped-model.sh TRAINER MNIST_DIR OUT [extra digit-trainer flags...]
set -euo pipefail
trainer=${1:?usage: train-shipped-model.sh TRAINER MNIST_DIR OUT}
data=${2:?MNIST folder}
out=${3:?output model}
shift 3
mkdir -p "$(dirname "$out")"
exec "$trainer" train --data "$data" --out "$out" --arch digitnet-plus --epochs 22 --batch-size 128 \
    --optimizer adam --lr 0.002 --schedule cosine --rotation 12 --zoom 0.12 --shift 2.5 --thickness 0.2 \
    --seed 1 --metrics "${out%.cnn}.metrics.json" "$@"
