// Requests for both sides of the connection layer's framing: test_inspect_request.cpp and test_http.cpp.
#pragma once

#include <string>
#include <vector>

// A request that a proxy in front of the server might forward after another one, on the same connection:
// the server must never answer it when it rides inside a request it refuses. /metrics says so in its answer.
inline const std::string kSmuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
inline const std::string kSmuggledAnswer = "digit_http_requests_total";

// The requests that the connection layer refuses before httplib sees them (inspect_request), each once as
// bytes: the socket tests send them to the real server, the unit test gives them to inspect_request, and
// tests/fuzz/corpus/upload/framing-*.http holds the same bytes for the fuzzer.
struct RefusedRequest {
    std::string name;
    std::string bytes;
    int status;
    std::string code;
};
inline std::vector<RefusedRequest> refused_requests() {
    const std::string post = "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n";
    const std::string chunked_body = "5\r\nabcde\r\n0\r\n\r\n";
    auto with_fields = [](int count) {
        std::string request = "GET / HTTP/1.1\r\nHost: x\r\n";
        for (int i = 1; i < count; ++i) request += "X-Field-" + std::to_string(i) + ": value\r\n";
        return request + "\r\n";
    };
    return {
        // Both framings: httplib reads the body as chunked, a proxy that frames by Content-Length forwards
        // the rest as the next request.
        {"Content-Length and Transfer-Encoding",
         post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled, 400,
         "bad_request"},
        {"Transfer-Encoding and Content-Length",
         post + "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n" + chunked_body + kSmuggled, 400,
         "bad_request"},
        // Content-Length values that disagree, or are not lengths.
        {"two Content-Length fields that differ",
         post + "Content-Length: 5\r\nContent-Length: 40\r\n\r\nabcde" + kSmuggled, 400, "bad_request"},
        {"a Content-Length list of different values", post + "Content-Length: 5, 40\r\n\r\nabcde" + kSmuggled,
         400, "bad_request"},
        {"a negative Content-Length", post + "Content-Length: -1\r\n\r\n" + kSmuggled, 400, "bad_request"},
        {"an overflowing Content-Length",
         post + "Content-Length: 18446744073709551621\r\n\r\nabcde" + kSmuggled, 400, "bad_request"},
        {"a Content-Length of 19 digits", post + "Content-Length: 1000000000000000000\r\n\r\n" + kSmuggled,
         400, "bad_request"},
        {"a Content-Length that is not a number", post + "Content-Length: five\r\n\r\n" + kSmuggled, 400,
         "bad_request"},
        {"a percent-encoded Content-Length", post + "Content-Length: %35\r\n\r\nabcde" + kSmuggled, 400,
         "bad_request"},
        // Transfer codings other than one final chunked (RFC 9112 sections 6.1 and 6.3).
        {"Transfer-Encoding: gzip", post + "Transfer-Encoding: gzip\r\n\r\n" + chunked_body + kSmuggled, 400,
         "bad_request"},
        {"Transfer-Encoding: chunked, gzip",
         post + "Transfer-Encoding: chunked, gzip\r\n\r\n" + chunked_body + kSmuggled, 400, "bad_request"},
        {"Transfer-Encoding: identity",
         post + "Transfer-Encoding: identity\r\n\r\n" + chunked_body + kSmuggled, 400, "bad_request"},
        {"Transfer-Encoding: chunked, chunked",
         post + "Transfer-Encoding: chunked, chunked\r\n\r\n" + chunked_body + kSmuggled, 400, "bad_request"},
        {"Transfer-Encoding: chunked twice",
         post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body + kSmuggled,
         400, "bad_request"},
        {"Transfer-Encoding: percent-encoded chunked",
         post + "Transfer-Encoding: %63hunked\r\n\r\n" + chunked_body + kSmuggled, 400, "bad_request"},
        {"Transfer-Encoding in HTTP/1.0",
         "POST /predict HTTP/1.0\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n" +
             chunked_body + kSmuggled,
         400, "bad_request"},
        {"Transfer-Encoding: gzip, chunked",
         post + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked_body + kSmuggled, 501,
         "not_implemented"},
        // Lines that httplib 0.11.4 reads differently from a proxy.
        {"a bare LF", post + "Content-Length: 5\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled,
         400, "bad_request"},
        {"a bare CR", post + "Content-Length: 5\rTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled,
         400, "bad_request"},
        {"a folded line",
         post + "X-Folded: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nabcde", 400,
         "bad_request"},
        {"whitespace before the colon",
         post + "Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + kSmuggled, 400,
         "bad_request"},
        {"a field without a colon", post + "Transfer-Encoding chunked\r\n\r\n", 400, "bad_request"},
        {"a NUL in a value", post + "X-Null: a" + std::string(1, '\0') + "b\r\nContent-Length: 0\r\n\r\n",
         400, "bad_request"},
        // Values httplib would percent-decode into a line break; fields httplib adds itself.
        {"a percent-encoded CRLF", "GET /healthz HTTP/1.1\r\nHost: x%0D%0ASet-Cookie: a=b\r\n\r\n", 400,
         "bad_request"},
        {"a REMOTE_ADDR field", "GET /healthz HTTP/1.1\r\nHost: x\r\nREMOTE_ADDR: 10.0.0.1\r\n\r\n", 400,
         "bad_request"},
        // A compressed body httplib would inflate past the upload limit.
        {"Content-Encoding: gzip",
         post + "Content-Encoding: gzip\r\nContent-Length: 5\r\n\r\nabcde" + kSmuggled, 415,
         "unsupported_media_type"},
        // Header limits: 100 fields, 16 KiB.
        {"101 header fields", with_fields(101), 431, "header_fields_too_large"},
        {"5,000 header fields (45 KB)", with_fields(5000), 431, "header_fields_too_large"},
        {"a 17 KiB header field", "GET / HTTP/1.1\r\nX-Long: " + std::string(17 * 1024, 'a') + "\r\n\r\n",
         431, "header_fields_too_large"},
        {"a 17 KiB request line", "GET /" + std::string(17 * 1024, 'a') + " HTTP/1.1\r\n\r\n", 414,
         "uri_too_long"},
    };
}
