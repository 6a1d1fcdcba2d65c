// libFuzzer target: raw HTTP/1.1 request bytes through digit-server's API end to end without a socket --
// httplib's request parsing and multipart reader, the routes, upload limits, JSON errors and the image
// pipeline (no model is loaded, so decoded images end in 503 not_ready rather than in inference).
// Corrections (POST /feedback, DELETE /feedback/{id}, the operator's routes) go to an SQLite store in a
// temporary file, capped, with no rate limit (every input comes from one client). A 500 answer is a bug: bad
// input must always get a 4xx. The same bytes also go through the connection
// pool's framing (inspect_request), whose answer must stay within the bytes it was given, and which must
// refuse, not wait on, a header longer than its limit.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "app.hpp"
#include "connection.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static digit::App* app = [] {
        digit::ServerOptions options;
        options.ui_port = -1;
        options.max_upload_bytes = 1 << 20;
        options.max_batch_files = 8;
        options.pipeline.max_pixels = 4'000'000;
        static const std::string scratch = "/tmp/fuzz_upload_" + std::to_string(::getpid());
        std::atexit([] {
            for (const char* suffix : {".sqlite", ".sqlite-wal", ".sqlite-shm", ".token"})
                std::remove((scratch + suffix).c_str());
        });
        options.feedback_db = "sqlite:" + scratch + ".sqlite";
        options.feedback_per_minute = 0;
        options.feedback_max_rows = 1000;
        options.admin_token_file = scratch + ".token";
        std::ofstream(options.admin_token_file) << "fuzz-operator-token-0123\n";
        return new digit::App(options);
    }();
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    using digit::RequestFrame;
    const RequestFrame frame = digit::inspect_request(bytes, 1 << 20);
    if (frame.state == RequestFrame::ready && frame.size > size) __builtin_trap();
    if (frame.state == RequestFrame::needs_continue &&
        !(frame.expect_begin < frame.expect_end && frame.expect_end <= size))
        __builtin_trap();
    // A chunked request is handed over with its whole header, which is within the limit.
    if (frame.chunked && (frame.state != RequestFrame::ready_streaming || frame.size > size ||
                          frame.size > digit::kMaxRequestHeader))
        __builtin_trap();
    // A refusal is a 4xx or a 501, with a code and a reason.
    if (frame.state == RequestFrame::refused &&
        (frame.status < 400 || frame.status > 501 || *frame.code == '\0' || *frame.message == '\0'))
        __builtin_trap();
    // A header past the limit is refused, not waited for: only a body is ever waited for that long.
    if (frame.state == RequestFrame::incomplete && size >= digit::kMaxRequestHeader && frame.size <= size)
        __builtin_trap();

    const std::string response = app->serve_api_bytes(std::string(reinterpret_cast<const char*>(data), size));
    if (response.find("HTTP/1.1 500") != std::string::npos) __builtin_trap();
    return 0;
}
