#include "connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace digit {

namespace {

// poll() for one event on one socket; > 0 ready, 0 timed out, < 0 error. EINTR restarts with the time left.
int wait_for(socket_t sock, short events, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        pollfd entry{sock, events, 0};
        const int ready = ::poll(&entry, 1, timeout_ms);
        if (ready >= 0 || errno != EINTR) return ready;
        timeout_ms = int(std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    deadline - std::chrono::steady_clock::now())
                                                    .count()));
    }
}

void address_of(const sockaddr_storage& address, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = "";
    if (address.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
        port = ntohs(v4.sin_port);
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        port = ntohs(v6.sin6_port);
    } else {
        port = 0;
    }
    ip = text;
}

// Reads through a buffer that lives as long as the connection (httplib reads a request line by line, a byte
// per call), trying the socket before polling it; writes into a buffer sent when the request is answered,
// or before the stream next waits for input (a "100 Continue" must reach the client before its body comes).
class ConnectionStream final : public httplib::Stream {
  public:
    ConnectionStream(socket_t sock, const ConnectionLimits& limits) : sock_(sock), limits_(limits) {
        input_.resize(kInputBuffer);
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        if (::getpeername(sock, reinterpret_cast<sockaddr*>(&address), &length) == 0)
            address_of(address, remote_ip_, remote_port_);
        length = sizeof address;
        if (::getsockname(sock, reinterpret_cast<sockaddr*>(&address), &length) == 0)
            address_of(address, local_ip_, local_port_);
    }

    bool is_readable() const override {
        return buffered() > 0 || wait_for(sock_, POLLIN, limits_.read_timeout_ms) > 0;
    }
    bool is_writable() const override { return !write_failed_; }

    ssize_t read(char* ptr, size_t size) override {
        if (buffered() == 0) {
            if (!flush()) return -1;
            // A large read goes straight to the caller, as a body being streamed to the upload collector.
            if (size >= input_.size()) return receive(ptr, size);
            const ssize_t n = receive(input_.data(), input_.size());
            if (n <= 0) return n;
            begin_ = 0, end_ = std::size_t(n);
        }
        const std::size_t n = std::min(size, buffered());
        std::memcpy(ptr, input_.data() + begin_, n);
        begin_ += n;
        return ssize_t(n);
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (write_failed_) return -1;
        output_.append(ptr, size);
        if (output_.size() >= kOutputBuffer && !flush()) return -1;
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

    // Waits for the next request: true when bytes are buffered or arrive within the keep-alive time, false
    // when the client closes, the time runs out or the listener is closed (looked at every 50 ms).
    bool wait_for_request(const std::atomic<socket_t>& listener) const {
        if (buffered() > 0) return true;
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.keep_alive_timeout_ms);
        while (listener != INVALID_SOCKET) {
            const int ready = wait_for(sock_, POLLIN, 50);
            if (ready > 0) return true;
            if (ready < 0 || std::chrono::steady_clock::now() >= deadline) return false;
        }
        return false;
    }

  private:
    static constexpr std::size_t kInputBuffer = 16 * 1024, kOutputBuffer = 64 * 1024;

    std::size_t buffered() const { return end_ - begin_; }

    // recv without blocking; when nothing is there yet, poll for up to the read timeout and try again.
    // -1 on timeout or error, 0 when the client has closed.
    ssize_t receive(char* ptr, std::size_t size) {
        for (;;) {
            const ssize_t n = ::recv(sock_, ptr, size, MSG_DONTWAIT);
            if (n >= 0) return n;
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
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

}  // namespace

bool serve_connection(socket_t sock, const std::atomic<socket_t>& listener, const ConnectionLimits& limits,
                      const ServeOne& serve_one) {
    bool ok = false;
    {
        ConnectionStream stream(sock, limits);
        for (std::size_t left = std::max<std::size_t>(1, limits.max_requests);
             left > 0 && stream.wait_for_request(listener); --left) {
            bool connection_closed = false;
            ok = serve_one(stream, left == 1, connection_closed);
            ok = stream.flush() && ok;
            if (!ok || connection_closed) break;
        }
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
}

}  // namespace digit
