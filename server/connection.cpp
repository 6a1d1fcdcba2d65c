#include "connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "answers.hpp"

namespace digit {

using Clock = std::chrono::steady_clock;

namespace {

// poll() for one event on one socket; > 0 ready, 0 timed out, < 0 error. EINTR restarts with the time left.
int wait_for(socket_t sock, short events, int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        pollfd entry{sock, events, 0};
        const int ready = ::poll(&entry, 1, timeout_ms);
        if (ready >= 0 || errno != EINTR) return ready;
        timeout_ms = int(std::max<long long>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
    }
}

void address_of(const sockaddr_storage& address, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = "";
    port = 0;
    if (address.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
        port = ntohs(v4.sin_port);
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        port = ntohs(v6.sin6_port);
    }
    ip = text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// A character of a header field name (RFC 9110 section 5.6.2, tchar).
bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
           (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

// A control character other than horizontal tab: never part of a field value (RFC 9110 section 5.5).
bool is_control(char c) {
    return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
}

// Whether percent-decoding `value` yields a control character other than tab: httplib 0.11.4 decodes every
// header value it keeps, so "%0D%0A" would become a line break inside a header.
bool decodes_to_control(std::string_view value) {
    for (std::size_t at = value.find('%'); at != std::string_view::npos && at + 2 < value.size();
         at = value.find('%', at + 1)) {
        const char high = value[at + 1], low = char(std::tolower(static_cast<unsigned char>(value[at + 2])));
        const bool hex_low = is_digit(low) || (low >= 'a' && low <= 'f');
        if (hex_low && ((high == '0' && low != '9') || high == '1' || (high == '7' && low == 'f')))
            return true;
    }
    return false;
}

RequestFrame refusal(int status, const char* code, const char* message) {
    RequestFrame frame;
    frame.state = RequestFrame::refused;
    frame.status = status;
    frame.code = code;
    frame.message = message;
    return frame;
}

RequestFrame bad_request(const char* message) {
    return refusal(400, "bad_request", message);
}

// One Content-Length field value: a length, or a list of equal lengths ("5, 5"), each 1*DIGIT of at most 18
// significant digits (so that no sum overflows). `length` and `seen` carry what earlier fields said, which
// this one must repeat.
enum class LengthCheck { ok, invalid, conflicting };
LengthCheck read_content_length(std::string_view value, std::uint64_t& length, bool& seen) {
    for (;;) {
        const std::size_t comma = value.find(',');
        std::string_view element = trimmed(value.substr(0, comma));
        if (element.empty() || !std::all_of(element.begin(), element.end(), is_digit))
            return LengthCheck::invalid;
        while (element.size() > 1 && element.front() == '0') element.remove_prefix(1);
        if (element.size() > 18) return LengthCheck::invalid;
        std::uint64_t number = 0;
        for (char c : element) number = number * 10 + std::uint64_t(c - '0');
        if (seen && number != length) return LengthCheck::conflicting;
        length = number;
        seen = true;
        if (comma == std::string_view::npos) return LengthCheck::ok;
        value.remove_prefix(comma + 1);
    }
}

// The transfer codings of a request, over all its Transfer-Encoding fields.
struct TransferCodings {
    std::size_t fields = 0, codings = 0, chunked = 0;
    bool chunked_last = false;
    // The last field's whole value is "chunked", which is what httplib 0.11.4 takes for a chunked body.
    bool plain_chunked = false;

    void add(std::string_view value) {
        ++fields;
        plain_chunked = equals_ignoring_case(value, "chunked");
        for (;;) {
            const std::size_t comma = value.find(',');
            const std::string_view coding = trimmed(value.substr(0, comma));
            if (!coding.empty()) {
                ++codings;
                chunked_last = equals_ignoring_case(coding, "chunked");
                chunked += chunked_last;
            }
            if (comma == std::string_view::npos) return;
            value.remove_prefix(comma + 1);
        }
    }
};

bool is_reserved_field(std::string_view name) {
    for (const char* reserved : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"})
        if (equals_ignoring_case(name, reserved)) return true;
    return false;
}

}  // namespace

// What the start of the buffered bytes holds: enough of a request to hand it to httplib, not yet, or a
// request to refuse. Complete means the whole header and, with a Content-Length, the whole body; a body over
// `max_buffered_body` or a chunked one is handed over as soon as the header is there, and httplib reads it as
// it comes. So an incomplete request never holds more than kMaxRequestHeader (16 KiB, at most
// kMaxHeaderFields = 100 fields) + max_buffered_body bytes here, and httplib never reads more than the
// header plus the Content-Length, or than chunked_read_limit.
//
// The rules (RFC 9112 sections 2.2, 5, 6.1, 6.3; RFC 9110 section 5.5) close each way found to make httplib
// 0.11.4 and a proxy in front of it disagree about where a request ends, or to make httplib hold memory:
// - every line ends in CRLF; no bare CR, NUL or other control character, no field folded over lines, none
//   without a name and a colon, no whitespace before the colon: 400
// - at most kMaxHeaderFields fields and kMaxRequestHeader bytes of header: 431 as soon as either is passed
//   (414 when the request line alone is longer)
// - Content-Length: digits (a list only of equal values), at most 18 of them, the same in every field: 400
// - Transfer-Encoding: only in HTTP/1.1, never with Content-Length, chunked last and once: else 400; other
//   codings before chunked: 501; anything but one field reading just "chunked": 400
// - Content-Encoding other than identity: 415 (httplib would inflate the body past every limit)
// - no value that percent-decodes to a control character, no field named REMOTE_ADDR, REMOTE_PORT,
//   LOCAL_ADDR or LOCAL_PORT (httplib decodes values, and adds those fields after the client's): 400
RequestFrame inspect_request(std::string_view bytes, std::size_t max_buffered_body) {
    const std::string_view head = bytes.substr(0, kMaxRequestHeader);
    std::size_t header_end = 0, fields = 0, expect_begin = 0, expect_end = 0;
    std::uint64_t content_length = 0;
    bool has_length = false, http10 = false;
    TransferCodings transfer;
    for (std::size_t start = 0;;) {
        const std::size_t end = head.find('\n', start);
        if (end == std::string_view::npos) {
            if (bytes.size() < kMaxRequestHeader) {
                RequestFrame frame;  // incomplete
                frame.size = bytes.size();
                return frame;
            }
            return start == 0 ? refusal(414, "uri_too_long", "the request line is too long")
                              : refusal(431, "header_fields_too_large", "the request header is too large");
        }
        if (end == start || bytes[end - 1] != '\r') return bad_request("a header line ends in a bare LF");
        const std::string_view line = bytes.substr(start, end - 1 - start);
        const std::size_t line_start = start;
        start = end + 1;
        if (line_start == 0) {  // the request line; httplib checks the rest of it
            if (line.empty()) return bad_request("the request line is empty");
            if (std::any_of(line.begin(), line.end(), is_control))
                return bad_request("the request line holds a control character");
            http10 = line.substr(line.rfind(' ') + 1) == "HTTP/1.0";
            continue;
        }
        if (line.empty()) {
            header_end = start;
            break;
        }
        if (++fields > kMaxHeaderFields)
            return refusal(431, "header_fields_too_large", "the request has too many header fields");
        if (line.front() == ' ' || line.front() == '\t')
            return bad_request("a header field is folded over lines");
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 ||
            !std::all_of(line.begin(), line.begin() + std::ptrdiff_t(colon), is_token_char))
            return bad_request("a header field has no valid name");
        const std::string_view name = line.substr(0, colon), value = trimmed(line.substr(colon + 1));
        if (std::any_of(value.begin(), value.end(), is_control))
            return bad_request("a header field value holds a control character");
        if (decodes_to_control(value))
            return bad_request("a header field value holds a percent-encoded control character");
        if (equals_ignoring_case(name, "Content-Length")) {
            switch (read_content_length(value, content_length, has_length)) {
                case LengthCheck::ok:
                    break;
                case LengthCheck::invalid:
                    return bad_request("Content-Length is not a valid length");
                case LengthCheck::conflicting:
                    return bad_request("the Content-Length fields disagree");
            }
        } else if (equals_ignoring_case(name, "Transfer-Encoding")) {
            transfer.add(value);
        } else if (equals_ignoring_case(name, "Content-Encoding")) {
            if (!value.empty() && !equals_ignoring_case(value, "identity"))
                return refusal(415, "unsupported_media_type",
                               "Content-Encoding is not accepted: send the body as it is");
        } else if (equals_ignoring_case(name, "Expect")) {
            if (equals_ignoring_case(value, "100-continue")) {
                expect_begin = line_start;
                expect_end = start;
            }
        } else if (is_reserved_field(name)) {
            return bad_request(
                "REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR and LOCAL_PORT are the server's own fields");
        }
    }
    RequestFrame frame;
    if (transfer.fields > 0) {
        if (http10) return bad_request("Transfer-Encoding in an HTTP/1.0 request");
        if (has_length) return bad_request("both Content-Length and Transfer-Encoding");
        if (!transfer.chunked_last) return bad_request("the last transfer coding is not chunked");
        if (transfer.chunked > 1) return bad_request("chunked is applied more than once");
        if (transfer.codings > 1)
            return refusal(501, "not_implemented", "transfer codings other than chunked are not implemented");
        if (transfer.fields > 1 || !transfer.plain_chunked)
            return bad_request("Transfer-Encoding is malformed");
        frame.state = RequestFrame::ready_streaming;  // httplib answers any expectation itself
        frame.chunked = true;
        frame.size = header_end;
        return frame;
    }
    frame.size = header_end + content_length;
    if (content_length > max_buffered_body) {
        frame.state = RequestFrame::ready_streaming;
    } else if (expect_end > 0) {
        frame.state = RequestFrame::needs_continue;
        frame.expect_begin = expect_begin;
        frame.expect_end = expect_end;
    } else {
        frame.state = bytes.size() >= frame.size ? RequestFrame::ready : RequestFrame::incomplete;
    }
    return frame;
}

std::size_t chunked_read_limit(std::size_t header_size, std::size_t max_chunked_body) {
    constexpr std::size_t kSlack = 4096;  // the last chunk, a chunk extension or two
    const std::size_t framing = max_chunked_body / 8;
    const std::size_t room = SIZE_MAX - header_size - kSlack;
    if (max_chunked_body > room || framing > room - max_chunked_body) return SIZE_MAX;
    return header_size + max_chunked_body + framing + kSlack;
}

namespace {

const char* reason_phrase(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 431:
            return "Request Header Fields Too Large";
        case 501:
            return "Not Implemented";
        default:
            return "Error";
    }
}

// One line in the server's log per refused request, as the access log writes the others: method, path,
// status, and why.
void log_refusal(std::string_view request, const RequestFrame& frame) {
    request = request.substr(0, std::min(request.find('\r'), request.find('\n')));
    const std::size_t space = request.find(' ');
    const std::string_view method = request.substr(0, std::min<std::size_t>(space, 16));
    std::string_view target = space == std::string_view::npos ? "" : request.substr(space + 1);
    target = target.substr(0, std::min<std::size_t>(target.find(' '), 200));
    std::string line;
    for (const std::string_view part : {method, std::string_view(" "), target})
        for (char c : part) line += (c >= 0x20 && c < 0x7f) ? c : '?';
    line += " " + std::to_string(frame.status) + " 0.00ms refused: " + frame.message + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

// The socket as an httplib::Stream. Reads come from a buffer that lives as long as the connection (httplib
// reads a request line by line, a byte per call) and that the pool fills without blocking; when httplib
// wants more than has arrived (a chunked body), the stream waits for it, up to the read timeout per read.
// httplib reads one request through it, and sees the stream end where that request ends (limit_request).
// Writes collect in a buffer sent when the request has been answered, or before the stream waits for input.
class ConnectionPool::Connection final : public httplib::Stream {
  public:
    Connection(socket_t sock, const ConnectionLimits& limits) : sock_(sock), limits_(limits) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        if (::getpeername(sock, reinterpret_cast<sockaddr*>(&address), &length) == 0)
            address_of(address, remote_ip_, remote_port_);
        length = sizeof address;
        if (::getsockname(sock, reinterpret_cast<sockaddr*>(&address), &length) == 0)
            address_of(address, local_ip_, local_port_);
    }
    ~Connection() override {
        ::shutdown(sock_, SHUT_RDWR);
        ::close(sock_);
    }

    bool is_readable() const override {
        return request_left_ == 0 || buffered() > 0 || wait_for(sock_, POLLIN, limits_.read_timeout_ms) > 0;
    }
    bool is_writable() const override { return !write_failed_; }

    ssize_t read(char* ptr, size_t size) override {
        size = std::min(size, request_left_);
        if (size == 0) return 0;  // the end of this request: to httplib, the end of the stream
        if (buffered() == 0) {
            if (!flush()) return -1;
            begin_ = end_ = 0;
            // A large read (a body streamed to the upload collector) goes straight to the caller.
            if (size >= kReadChunk) {
                const ssize_t n = receive(ptr, size, true);
                if (n > 0) request_left_ -= std::size_t(n);
                return n;
            }
            reserve(kReadChunk);
            const ssize_t n = receive(input_.data(), kReadChunk, true);
            if (n <= 0) return n;
            end_ = std::size_t(n);
        }
        const std::size_t n = std::min(size, buffered());
        std::memcpy(ptr, input_.data() + begin_, n);
        begin_ += n;
        request_left_ -= n;
        return ssize_t(n);
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (write_failed_) return -1;
        output_.append(ptr, size);
        if (output_.size() >= kOutputChunk && !flush()) return -1;
        return ssize_t(size);
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = remote_ip_;
        port = remote_port_;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = local_ip_;
        port = local_port_;
    }
    socket_t socket() const override { return sock_; }

    // Sends what has been written. False once a send has failed or timed out.
    bool flush() {
        std::size_t sent = 0;
        while (!write_failed_ && sent < output_.size()) {
            const ssize_t n =
                ::send(sock_, output_.data() + sent, output_.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                sent += std::size_t(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (wait_for(sock_, POLLOUT, limits_.write_timeout_ms) <= 0) write_failed_ = true;
            } else {
                write_failed_ = true;
            }
        }
        output_.clear();
        return !write_failed_;
    }

    // Takes in what the socket holds, without waiting; false when the socket has failed. Reading stops once
    // a request is complete (see inspect_request: an incomplete one is never large).
    bool take_available() {
        if (begin_ == end_) begin_ = end_ = 0;
        for (;;) {
            if (frame().state != RequestFrame::incomplete) return true;
            reserve(kReadChunk);
            const std::size_t room = input_.size() - end_;
            const ssize_t n = receive(input_.data() + end_, room, false);
            if (n == 0) {
                client_closed = true;
                return true;
            }
            if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
            end_ += std::size_t(n);
            if (std::size_t(n) < room) return true;  // drained
        }
    }

    RequestFrame frame() const { return inspect_request(buffered_bytes(), limits_.max_buffered_body); }
    std::string_view buffered_bytes() const { return std::string_view(input_.data() + begin_, buffered()); }
    std::size_t buffered() const { return end_ - begin_; }

    // Answers "Expect: 100-continue" here, so that the body arrives before a worker takes the request, and
    // drops the header so that httplib does not answer it a second time.
    bool send_continue(const RequestFrame& frame) {
        static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        write(kContinue, sizeof kContinue - 1);
        char* base = input_.data() + begin_;
        std::memmove(base + frame.expect_begin, base + frame.expect_end, buffered() - frame.expect_end);
        end_ -= frame.expect_end - frame.expect_begin;
        return flush();
    }

    // httplib may read `limit` bytes more for the request it is about to serve, and then finds the stream at
    // its end, as if the client had closed: it cannot read a byte of the next request, nor a body without
    // end. (Without a Content-Length, a request has no body; httplib 0.11.4 would read one until the client
    // closes.)
    void limit_request(std::size_t limit) { request_left_ = limit; }

    // Drops what httplib left unread of its request (the body of a GET, or of an upload it refused), so that
    // the next request starts where this one ends. False when part of that has not arrived.
    bool skip_unread() {
        const std::size_t n = std::min(request_left_, buffered());
        begin_ += n;
        request_left_ -= n;
        return request_left_ == 0;
    }

    // Answers a request that inspect_request refused and says that the connection closes; then takes in what
    // the client has already sent, without waiting for more, so that closing does not reset the connection
    // under the answer before the client has read it.
    void refuse(const RequestFrame& frame, const httplib::Headers& extra_headers) {
        const std::string body = error_body(frame.code, frame.message);
        output_ += "HTTP/1.1 " + std::to_string(frame.status) + " " + reason_phrase(frame.status) + "\r\n";
        for (const auto& [name, value] : extra_headers) output_ += name + ": " + value + "\r\n";
        if (frame.status == 415) output_ += "Accept-Encoding: identity\r\n";  // RFC 9110 section 15.5.16
        output_ += "Connection: close\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n\r\n" + body;
        if (!flush()) return;
        ::shutdown(sock_, SHUT_WR);
        begin_ = end_ = 0;
        char discarded[16 * 1024];
        for (int i = 0; i < 64 && ::recv(sock_, discarded, sizeof discarded, MSG_DONTWAIT) > 0; ++i) {
        }
    }

    std::size_t served = 0;
    bool busy = false;
    bool client_closed = false;  // the client has shut its side; what it sent is still answered
    Clock::time_point deadline;  // closed by the sweeper when idle past this

  private:
    static constexpr std::size_t kReadChunk = 16 * 1024, kOutputChunk = 64 * 1024;

    // Room for `more` bytes after end_, moving the unread bytes to the front first.
    void reserve(std::size_t more) {
        if (begin_ > 0 && input_.size() - end_ < more) {
            std::memmove(input_.data(), input_.data() + begin_, buffered());
            end_ -= begin_;
            begin_ = 0;
        }
        if (input_.size() - end_ < more) input_.resize(std::max(input_.size() * 2, end_ + more));
    }

    // recv without blocking; with `wait`, when nothing has arrived yet, polls for up to the read timeout and
    // tries again. -1 on timeout or error (errno says which), 0 when the client has closed.
    ssize_t receive(char* ptr, std::size_t size, bool wait) const {
        for (;;) {
            const ssize_t n = ::recv(sock_, ptr, size, MSG_DONTWAIT);
            if (n >= 0) return n;
            if (errno == EINTR) continue;
            if (!wait || (errno != EAGAIN && errno != EWOULDBLOCK)) return -1;
            if (wait_for(sock_, POLLIN, limits_.read_timeout_ms) <= 0) return -1;
        }
    }

    socket_t sock_;
    const ConnectionLimits& limits_;
    std::vector<char> input_;
    std::size_t begin_ = 0, end_ = 0;
    std::size_t request_left_ = SIZE_MAX;
    std::string output_;
    bool write_failed_ = false;
    std::string remote_ip_, local_ip_;
    int remote_port_ = 0, local_port_ = 0;
};

ConnectionPool::ConnectionPool(int workers, int heavy_workers, ConnectionLimits limits, ServeOne serve_one)
    : limits_(std::move(limits)), serve_one_(std::move(serve_one)) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || stop_fd_ < 0)
        throw std::runtime_error("cannot create the connection pool's epoll set");
    epoll_event stop_event{};
    stop_event.events = EPOLLIN;  // level-triggered and never re-armed: every worker sees it
    stop_event.data.u64 = 0;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &stop_event);
    for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this] { work(); });
    for (int i = 0; i < std::max(1, heavy_workers); ++i) workers_.emplace_back([this] { work_heavy(); });
}

ConnectionPool::~ConnectionPool() {
    request_stop();
    join();
    ::close(epoll_fd_);
    ::close(stop_fd_);
}

void ConnectionPool::add(socket_t sock) {
    const int on = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    auto connection = std::make_unique<Connection>(sock, limits_);
    connection->deadline = Clock::now() + std::chrono::milliseconds(limits_.keep_alive_timeout_ms);
    std::lock_guard<std::mutex> lock(mutex_);
    const std::uint64_t id = next_id_++;
    if (!arm(EPOLL_CTL_ADD, sock, id)) return;  // closed by ~Connection
    connections_.emplace(id, std::move(connection));
}

bool ConnectionPool::arm(int operation, socket_t sock, std::uint64_t id) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;  // one worker per readiness, until armed again
    event.data.u64 = id;
    return ::epoll_ctl(epoll_fd_, operation, sock, &event) == 0;
}

void ConnectionPool::request_stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    heavy_ready_.notify_all();
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
}

void ConnectionPool::join() {
    for (auto& worker : workers_)
        if (worker.joinable()) worker.join();
    std::lock_guard<std::mutex> lock(mutex_);
    connections_.clear();
}

void ConnectionPool::lower_priority() const {
    if (limits_.worker_nice > 0) (void)::setpriority(PRIO_PROCESS, ::gettid(), limits_.worker_nice);
}

void ConnectionPool::work() {
    lower_priority();
    constexpr int kSweepPeriodMs = 100;
    for (;;) {
        epoll_event event{};
        const int ready = ::epoll_wait(epoll_fd_, &event, 1, kSweepPeriodMs);
        if (ready < 0 && errno != EINTR) return;
        if (ready > 0 && event.data.u64 == 0) return;  // stopping
        const auto now = Clock::now();
        const std::int64_t now_ns = now.time_since_epoch().count();
        std::int64_t due = next_sweep_ns_.load();
        if (now_ns >= due &&
            next_sweep_ns_.compare_exchange_strong(due, now_ns + std::int64_t(kSweepPeriodMs) * 1'000'000))
            close_idle(now);
        if (ready <= 0) continue;
        Connection* connection = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const auto found = connections_.find(event.data.u64);
            if (found == connections_.end()) continue;  // closed by the sweeper meanwhile
            connection = found->second.get();
            connection->busy = true;
        }
        serve(*connection, event.data.u64, false);
    }
}

void ConnectionPool::work_heavy() {
    lower_priority();
    for (;;) {
        std::uint64_t id = 0;
        Connection* connection = nullptr;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            heavy_ready_.wait(lock, [this] { return stopping_ || !heavy_queue_.empty(); });
            if (stopping_) return;
            id = heavy_queue_.front();
            heavy_queue_.pop_front();
            const auto found = connections_.find(id);
            if (found == connections_.end()) continue;
            connection = found->second.get();
        }
        serve(*connection, id, true);
    }
}

void ConnectionPool::serve(Connection& connection, std::uint64_t id, bool heavy_worker) {
    bool keep = heavy_worker || connection.take_available();
    while (keep) {
        RequestFrame frame = connection.frame();
        if (frame.state == RequestFrame::needs_continue) {
            keep = connection.send_continue(frame);
            if (keep && !connection.client_closed) keep = connection.take_available();
            frame = connection.frame();
        }
        if (frame.state == RequestFrame::refused) {
            log_refusal(connection.buffered_bytes(), frame);
            connection.refuse(frame, limits_.refusal_headers);
            keep = false;
            break;
        }
        const bool complete =
            frame.state == RequestFrame::ready || frame.state == RequestFrame::ready_streaming;
        if (!complete && !(connection.client_closed && connection.buffered() > 0)) break;
        if (!heavy_worker && limits_.is_heavy &&
            (frame.state == RequestFrame::ready_streaming ||
             limits_.is_heavy(connection.buffered_bytes().substr(0, frame.size)))) {
            std::lock_guard<std::mutex> lock(mutex_);
            heavy_queue_.push_back(id);
            heavy_ready_.notify_one();
            return;  // still busy; a heavy worker carries on with it
        }
        connection.limit_request(frame.chunked ? chunked_read_limit(frame.size, limits_.max_chunked_body)
                                               : frame.size);
        // Where a chunked body ends is httplib's to find, so the connection closes after it rather than trust
        // that httplib and a proxy in front agree where the next request begins.
        const bool last = ++connection.served >= limits_.max_requests || frame.chunked;
        bool connection_closed = false;
        keep = serve_one_(connection, last, connection_closed);
        const bool in_step = connection.skip_unread();
        keep = connection.flush() && keep && !connection_closed && !last && in_step;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (!keep || connection.client_closed) {
        close_locked(id);
        return;
    }
    // Idle: closed after the keep-alive time. Part of a request: after the read timeout without progress.
    connection.deadline =
        Clock::now() + std::chrono::milliseconds(connection.buffered() == 0 ? limits_.keep_alive_timeout_ms
                                                                            : limits_.read_timeout_ms);
    connection.busy = false;
    if (!arm(EPOLL_CTL_MOD, connection.socket(), id)) close_locked(id);
}

void ConnectionPool::close_idle(Clock::time_point now) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::uint64_t> expired;
    for (const auto& [id, connection] : connections_)
        if (!connection->busy && now >= connection->deadline) expired.push_back(id);
    for (std::uint64_t id : expired) close_locked(id);
}

void ConnectionPool::close_locked(std::uint64_t id) {
    const auto found = connections_.find(id);
    if (found == connections_.end()) return;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, found->second->socket(), nullptr);
    connections_.erase(found);  // ~Connection shuts the socket down and closes it
}

}  // namespace digit
