// libFuzzer target for the IDX loader: every input is parsed as an image file and as a label file, raw or
// gzip (the parser decides by the first bytes). A std::runtime_error is the loader's documented way to
// reject a file; anything else — a crash, a sanitizer report, another exception, a huge allocation — is a
// bug.
//
// Built and run by `make fuzz` (build-fuzz/bin/fuzz_idx tests/fuzz/corpus/idx -max_total_time=60).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const digit::IdxImages images = digit::parse_idx_images(data, size, "fuzz-input");
        // The shape the loader reports must describe exactly the pixels it returns.
        if (images.pixels.size() != images.count * images.rows * images.cols) std::abort();
    } catch (const std::runtime_error&) {
    }
    try {
        const digit::IdxLabels labels = digit::parse_idx_labels(data, size, "fuzz-input");
        if (labels.labels.size() != labels.count) std::abort();
        for (std::uint8_t label : labels.labels) {
            if (label >= labels.num_classes) std::abort();
        }
    } catch (const std::runtime_error&) {
    }
    return 0;
}
