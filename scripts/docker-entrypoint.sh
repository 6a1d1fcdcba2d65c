#!/bin/sh
# The container's entry point.
#   serve [digit-server options]  — train first if $MODEL is missing (fetching MNIST into $MNIST_DIR), then
#                                   run digit-server on $API_PORT (API) and $UI_PORT (UI, -1 for none)
#   retrain [digit-trainer flags] — fetch MNIST if missing, train the shipped recipe into $MODEL (the
#                                   server uses it from its next start)
#   digit-trainer …               — as on the command line; MNIST is fetched into $MNIST_DIR first if missing
#   anything else                 — run as given (a shell, cnn-bench, …)
set -eu
MODEL=${MODEL:-/app/models/digitnet.cnn}
MNIST_DIR=${MNIST_DIR:-/app/data/mnist}
HERE=$(dirname "$0")
FETCH_MNIST=${FETCH_MNIST:-/app/data/fetch-mnist.sh}

train_shipped_model() {
    "$FETCH_MNIST" "$MNIST_DIR"
    "$HERE/train-shipped-model.sh" "$(command -v digit-trainer)" "$MNIST_DIR" "$MODEL" "$@"
}

case "${1:-serve}" in
serve)
    [ $# -gt 0 ] && shift
    if [ ! -f "$MODEL" ]; then
        echo "entrypoint: no model at $MODEL: fetching MNIST and training the shipped recipe (this takes a while)"
        train_shipped_model
    fi
    exec digit-server --model "$MODEL" --host 0.0.0.0 --port "${API_PORT:-5001}" --ui-port "${UI_PORT:-3000}" \
        --ui-dir /app/frontend/dist "$@"
    ;;
retrain)
    shift
    train_shipped_model "$@"
    ;;
digit-trainer)
    case "${2:-}" in
    train | eval) "$FETCH_MNIST" "$MNIST_DIR" ;;
    esac
    exec "$@"
    ;;
*)
    exec "$@"
    ;;
esac
