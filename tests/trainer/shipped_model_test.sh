#!/usr/bin/env bash
# A committed model (the digit model, the number model) must score at least 0.996 on the real MNIST test set.
set -uo pipefail
trainer=$1 model=$2 mnist=$3
[ -f "$model" ] || { echo "FAILED: $model is missing"; exit 1; }
out=$("$trainer" eval --model "$model" --data "$mnist" --confusion) || { echo "FAILED: eval exited $?"; echo "$out"; exit 1; }
echo "$out"
accuracy=$(echo "$out" | tail -1 | sed -n 's/^accuracy: //p')
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.996) }' || { echo "FAILED: accuracy $accuracy is below 0.996"; exit 1; }
echo "shipped model accuracy $accuracy >= 0.996"
