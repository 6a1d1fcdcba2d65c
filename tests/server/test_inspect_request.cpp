// inspect_request, the connection layer's framing of the buffered bytes, as a pure function: no server, no
// socket. The same refused requests go over a real socket in test_http.cpp.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "connection.hpp"
#include "refused_requests.hpp"

TEST_CASE("request framing: when the buffered bytes hold a whole request", "[http][framing]") {
    using digit::RequestFrame;
    const auto state = [](const std::string& bytes) { return digit::inspect_request(bytes, 1000).state; };
    CHECK(state("") == RequestFrame::incomplete);
    CHECK(state("GET / HTTP/1.1\r\nHost: x\r\n") == RequestFrame::incomplete);
    CHECK(state("GET / HTTP/1.1\r\nHost: x\r\n\r\n") == RequestFrame::ready);
    CHECK(state("GET / HTTP/1.1\r\n\r\nGET /next") == RequestFrame::ready);
    CHECK(digit::inspect_request("GET / HTTP/1.1\r\n\r\nGET /next", 1000).size == 18);
    const std::string post = "POST /predict HTTP/1.1\r\ncontent-LENGTH:  5 \r\n\r\n";
    CHECK(state(post + "abcd") == RequestFrame::incomplete);
    CHECK(state(post + "abcde") == RequestFrame::ready);
    CHECK(digit::inspect_request(post + "abcdeGET", 1000).size == post.size() + 5);
    // A body too large to buffer is read as it comes; its end is known all the same.
    const RequestFrame large =
        digit::inspect_request("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", 1000);
    CHECK(large.state == RequestFrame::ready_streaming);
    CHECK(large.size == 41 + 1001);
    CHECK_FALSE(large.chunked);
    // A chunked body ends where httplib finds its end: only the header's size is known.
    const RequestFrame chunked =
        digit::inspect_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5", 1000);
    CHECK(chunked.state == RequestFrame::ready_streaming);
    CHECK(chunked.chunked);
    CHECK(chunked.size == 47);
    const std::string expect = "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n";
    const RequestFrame continued = digit::inspect_request(expect, 1000);
    CHECK(continued.state == RequestFrame::needs_continue);
    CHECK(expect.substr(continued.expect_begin, continued.expect_end - continued.expect_begin) ==
          "Expect: 100-Continue\r\n");
    // An oversized body with an expectation is httplib's to refuse, before the body is sent.
    CHECK(state("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n") ==
          RequestFrame::ready_streaming);
    // Still framed as they were: equal lengths repeated, a list of equal lengths, leading zeros, any case
    // of "chunked", the identity content coding, exactly 100 fields and 16 KiB of header.
    CHECK(state("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nabcde") ==
          RequestFrame::ready);
    CHECK(digit::inspect_request("POST / HTTP/1.1\r\nContent-Length: 5, 05\r\n\r\nabcde", 1000).size == 47);
    CHECK(state("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n") == RequestFrame::ready_streaming);
    CHECK(state("POST / HTTP/1.1\r\nContent-Encoding: identity\r\nContent-Length: 0\r\n\r\n") ==
          RequestFrame::ready);
    std::string hundred = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 100; ++i) hundred += "X-Field-" + std::to_string(i) + ": value\r\n";
    CHECK(state(hundred + "\r\n") == RequestFrame::ready);
    const std::string head = "GET / HTTP/1.1\r\nX-Long: ";
    const std::string full = head + std::string(digit::kMaxRequestHeader - head.size() - 4, 'a') + "\r\n\r\n";
    REQUIRE(full.size() == digit::kMaxRequestHeader);
    CHECK(state(full) == RequestFrame::ready);
    CHECK(state(full.substr(0, full.size() - 2) + "a\r\n\r\n") == RequestFrame::refused);
    // A header without end in sight is refused once it passes the limit, not waited for.
    CHECK(state(head + std::string(digit::kMaxRequestHeader, 'a')) == RequestFrame::refused);
    CHECK(state(head + std::string(digit::kMaxRequestHeader / 2, 'a')) == RequestFrame::incomplete);
    // httplib reads a chunked body up to the payload limit, chunk framing allowed for, never past SIZE_MAX.
    CHECK(digit::chunked_read_limit(100, 8000) == 100 + 8000 + 1000 + 4096);
    CHECK(digit::chunked_read_limit(100, SIZE_MAX) == SIZE_MAX);
    CHECK(digit::chunked_read_limit(100, SIZE_MAX / 9 * 8) == SIZE_MAX);
}

TEST_CASE("request framing: ambiguous framing and oversized headers are refused (inspect_request)",
          "[http][framing]") {
    for (const RefusedRequest& request : refused_requests()) {
        INFO(request.name);
        // The fuzzer starts from the same bytes.
        std::string slug;
        for (char c : request.name) {
            if (std::isalnum(static_cast<unsigned char>(c)))
                slug += char(std::tolower(static_cast<unsigned char>(c)));
            else if (!slug.empty() && slug.back() != '-')
                slug += '-';
        }
        if (slug.back() == '-') slug.pop_back();
        const std::string seed =
            std::string(DIGIT_SOURCE_DIR) + "/tests/fuzz/corpus/upload/framing-" + slug + ".http";
        std::ifstream seed_file(seed, std::ios::binary);
        CHECK(std::string(std::istreambuf_iterator<char>(seed_file), {}) == request.bytes);
        const digit::RequestFrame frame = digit::inspect_request(request.bytes, 1000);
        CHECK(frame.state == digit::RequestFrame::refused);
        CHECK(frame.status == request.status);
        CHECK(frame.code == request.code);
        CHECK(std::string(frame.message).size() > 10);
        // No prefix of the request is taken for a whole one: the refusal comes as soon as the bytes show it.
        for (std::size_t cut = 1; cut < request.bytes.size(); cut += 1 + cut / 8) {
            const digit::RequestFrame prefix = digit::inspect_request(request.bytes.substr(0, cut), 1000);
            INFO("first " << cut << " bytes");
            CHECK((prefix.state == digit::RequestFrame::incomplete ||
                   prefix.state == digit::RequestFrame::refused));
        }
    }
}
