// libFuzzer target: raw HTTP/1.1 request bytes through digit-server's API end to end without a socket --
// httplib's request parsing and multipart reader, the routes, upload limits, JSON errors and the image
// pipeline (no model is loaded, so decoded images end in 503 not_ready rather than in inference).
// A 500 answer is a bug: bad input must always get a 4xx. The same bytes also go through the connection
// pool's framing (inspect_request), whose answer must stay within the bytes it was given.
#include <cstddef>
#include <cstdint>
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
        return new digit::App(options);
    }();
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const digit::RequestFrame frame = digit::inspect_request(bytes, 1 << 20);
    if (frame.state == digit::RequestFrame::ready && frame.size > size) __builtin_trap();
    if (frame.state == digit::RequestFrame::needs_continue &&
        !(frame.expect_begin < frame.expect_end && frame.expect_end <= size))
        __builtin_trap();

    const std::string response = app->serve_api_bytes(std::string(reinterpret_cast<const char*>(data), size));
    if (response.find("HTTP/1.1 500") != std::string::npos) __builtin_trap();
    return 0;
}
