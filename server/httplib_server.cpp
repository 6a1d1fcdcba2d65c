#include "httplib_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <functional>

namespace digit {
namespace {

class MemoryStream : public httplib::Stream {
  public:
    explicit MemoryStream(const std::string& input) : input_(input) {}
    bool is_readable() const override { return true; }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override {
        const std::size_t n = std::min(size, input_.size() - position_);
        std::memcpy(ptr, input_.data() + position_, n);
        position_ += n;
        return ssize_t(n);
    }
    ssize_t write(const char* ptr, size_t size) override {
        output_.append(ptr, size);
        return ssize_t(size);
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 0;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 0;
    }
    socket_t socket() const override { return INVALID_SOCKET; }
    bool exhausted() const { return position_ >= input_.size(); }
    const std::string& output() const { return output_; }

  private:
    const std::string& input_;
    std::size_t position_ = 0;
    std::string output_;
};

// Runs each task on the thread that queues it: the accept loop only hands sockets to the ConnectionPool.
class InlineTaskQueue : public httplib::TaskQueue {
  public:
    void enqueue(std::function<void()> task) override { task(); }
    void shutdown() override {}
};

}  // namespace

void PooledServer::serve_with_pool(int workers, int heavy_workers, ConnectionLimits limits) {
    limits.max_requests = keep_alive_max_count_;
    limits.keep_alive_timeout_ms = int(keep_alive_timeout_sec_ * 1000);
    limits.read_timeout_ms = int(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000);
    limits.write_timeout_ms = int(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000);
    limits.max_chunked_body = payload_max_length_;
    pool_ = std::make_unique<ConnectionPool>(
        workers, heavy_workers, std::move(limits),
        [this](httplib::Stream& stream, bool close_connection, bool& connection_closed) {
            return process_request(stream, close_connection, connection_closed, nullptr);
        });
    new_task_queue = [] { return new InlineTaskQueue; };
}

void PooledServer::widen_backlog() {
    ::listen(svr_sock_, SOMAXCONN);
}

void PooledServer::stop_connections() {
    if (pool_) pool_->request_stop();
}

void PooledServer::join_connections() {
    if (pool_) pool_->join();
}

bool PooledServer::process_and_close_socket(socket_t sock) {
    pool_->add(sock);
    return true;
}

std::string PooledServer::serve_bytes(const std::string& request_bytes) {
    MemoryStream stream(request_bytes);
    bool connection_closed = false;
    for (int requests = 0; requests < 100 && !stream.exhausted() && !connection_closed; ++requests) {
        if (!process_request(stream, false, connection_closed, nullptr)) break;
    }
    return stream.output();
}

}  // namespace digit
