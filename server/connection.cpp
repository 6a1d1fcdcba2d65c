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
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

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
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

}  // namespace

constexpr std::size_t kMaxRequestHeader = 16 * 1024;

// What the start of the buffered bytes holds: enough of a request to hand it to httplib, or not yet.
// Complete means the whole header and, with a Content-Length, the whole body. Anything else -- a header over
// kMaxRequestHeader, a body over `max_buffered_body`, a length that is not a number, a chunked body -- is
// handed over as soon as the header is there (or is too long to be one), and httplib answers it or reads
// the rest itself. So an incomplete request never holds more than kMaxRequestHeader + max_buffered_body.
RequestFrame inspect_request(std::string_view bytes, std::size_t max_buffered_body) {
    std::size_t header_end = std::string_view::npos, content_length = 0, expect_begin = 0, expect_end = 0;
    bool streamed = false;
    for (std::size_t start = 0, end;
         start <= kMaxRequestHeader && (end = bytes.find('\n', start)) != bytes.npos; start = end + 1) {
        const std::string_view line = bytes.substr(start, end - start);
        if (line.empty() || line == "\r") {
            header_end = end + 1;
            break;
        }
        const std::size_t colon = line.find(':');
        if (start == 0 || colon == std::string_view::npos) continue;  // the request line, or not a header
        const std::string_view name = trimmed(line.substr(0, colon)), value = trimmed(line.substr(colon + 1));
        if (equals_ignoring_case(name, "Transfer-Encoding")) streamed = true;
        if (equals_ignoring_case(name, "Expect") && equals_ignoring_case(value, "100-continue")) {
            expect_begin = start;
            expect_end = end + 1;
        }
        if (equals_ignoring_case(name, "Content-Length")) {
            if (value.empty() || value.size() > 18 ||
                !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
                streamed = true;
            else
                content_length = std::strtoull(std::string(value).c_str(), nullptr, 10);
        }
    }
    RequestFrame frame;
    if (header_end == std::string_view::npos || header_end > kMaxRequestHeader) {
        frame.state = bytes.size() > kMaxRequestHeader ? RequestFrame::ready : RequestFrame::incomplete;
        frame.size = bytes.size();
    } else if (streamed || content_length > max_buffered_body) {
        frame.state = RequestFrame::ready_streaming;  // httplib answers any expectation itself
        frame.size = bytes.size();
    } else {
        frame.size = header_end + content_length;
        if (expect_end > 0) {
            frame.state = RequestFrame::needs_continue;
            frame.expect_begin = expect_begin;
            frame.expect_end = expect_end;
        } else {
            frame.state = bytes.size() >= frame.size ? RequestFrame::ready : RequestFrame::incomplete;
        }
    }
    return frame;
}

// The socket as an httplib::Stream. Reads come from a buffer that lives as long as the connection (httplib
// reads a request line by line, a byte per call) and that the pool fills without blocking; when httplib
// wants more than has arrived (a chunked body), the stream waits for it, up to the read timeout per read.
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
        return buffered() > 0 || wait_for(sock_, POLLIN, limits_.read_timeout_ms) > 0;
    }
    bool is_writable() const override { return !write_failed_; }

    ssize_t read(char* ptr, size_t size) override {
        if (buffered() == 0) {
            if (!flush()) return -1;
            begin_ = end_ = 0;
            // A large read (a body streamed to the upload collector) goes straight to the caller.
            if (size >= kReadChunk) return receive(ptr, size, true);
            reserve(kReadChunk);
            const ssize_t n = receive(input_.data(), kReadChunk, true);
            if (n <= 0) return n;
            end_ = std::size_t(n);
        }
        const std::size_t n = std::min(size, buffered());
        std::memcpy(ptr, input_.data() + begin_, n);
        begin_ += n;
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
        const std::size_t before = connection.buffered();
        bool connection_closed = false;
        const bool last = ++connection.served >= limits_.max_requests;
        keep = serve_one_(connection, last, connection_closed);
        keep = connection.flush() && keep && !connection_closed && !last && connection.buffered() < before;
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
