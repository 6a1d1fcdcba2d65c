# The two commands: `make run` and `make test`. Both install what is missing first.
BUILD      ?= build
JOBS       ?= 2
NATIVE     ?= ON
MODEL      ?= models/digitnet.cnn
MNIST      ?= data/mnist
FUZZ_SECONDS ?= 60
CMAKE_ARGS ?=

.PHONY: all setup setup-run setup-test configure build frontend mnist model run test test-sanitize bench fuzz format clean

all: build

setup:
	scripts/setup.sh build

setup-run:
	scripts/setup.sh run

setup-test:
	scripts/setup.sh test

configure:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCNN_NATIVE=$(NATIVE) $(CMAKE_ARGS)

build: setup configure
	cmake --build $(BUILD) -j $(JOBS)

frontend: setup-run
	cd frontend && npm run build --silent

mnist:
	data/fetch-mnist.sh $(MNIST)

# Trains the shipped model only where it is missing (the recipe is in README and in the model's metadata).
model: build
	@if [ ! -f $(MODEL) ]; then \
	    $(MAKE) mnist && scripts/setup.sh train && \
	    scripts/train-shipped-model.sh $(BUILD)/bin/digit-trainer $(MNIST) $(MODEL); \
	fi

# Users' corrections (the page's "Wrong?") are kept in an SQLite file beside the datasets.
FEEDBACK_DB ?= sqlite:data/feedback.sqlite

run: build model frontend
	$(BUILD)/bin/digit-server --model $(MODEL) --port 5001 --ui-port 3000 --ui-dir frontend/dist \
	    --feedback-db $(FEEDBACK_DB)

test: setup-test configure
	cmake --build $(BUILD) -j $(JOBS)
	data/fetch-mnist.sh $(MNIST)
	cd frontend && npm run build --silent
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-sanitize: setup-test
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCNN_NATIVE=$(NATIVE) -DCNN_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	data/fetch-mnist.sh $(MNIST)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    ctest --output-on-failure -j $(JOBS) -LE browser

bench: build
	$(BUILD)/bin/cnn-bench --threads 1
	$(BUILD)/bin/cnn-bench --threads 2

fuzz: setup-test
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCNN_FUZZ=ON -DCNN_NATIVE=$(NATIVE)
	cmake --build build-fuzz -j $(JOBS) --target fuzz_targets
	scripts/run-fuzzers.sh build-fuzz/bin $(FUZZ_SECONDS)

format:
	find libcnn recognizer trainer server bench tests -path '*/node_modules' -prune -o \( -name '*.hpp' -o -name '*.cpp' \) -print | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz frontend/dist
