// The connections of the API or UI server, served by a few worker threads from one epoll set instead of
// httplib's thread per keep-alive connection. With a thread per connection, 16 busy clients make 16 runnable
// threads on two cores, and the scheduler, not the order of arrival, decides who waits. Here a worker takes
// the next connection with a complete request (epoll hands each ready socket to one worker, oldest first),
// serves it, and takes the next, so requests are answered about in the order they came and no more threads
// compete for the cores than there are workers.
//
// A request is handed to httplib (Server::process_request: parsing, routing, the handlers, the response) only
// once its header and its Content-Length body have arrived, so a client that stalls mid-request holds no
// thread: it is closed when the read timeout passes without progress. "Expect: 100-continue" is answered
// here, before the body. Requests that take long (is_heavy; chunked bodies, read as they come) go to a
// second set of workers. Each response leaves in one send; the socket's addresses are asked for once.
//
// This layer, not httplib, decides where each request ends (RFC 9112 section 6), and httplib reads no byte
// past that end: a body it leaves unread is skipped, so no request can hide inside another. Requests whose
// framing is ambiguous or that go past the header limits are answered here, with the server's JSON error
// shape, and their connection closed; see inspect_request for the rules and README "HTTP hardening" for the
// advisories of httplib 0.11.4 that they cover.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <httplib.h>

namespace digit {

struct ConnectionLimits {
    std::size_t max_requests = 100;  // per connection; the last answer says "Connection: close"
    int keep_alive_timeout_ms = 5000;
    int read_timeout_ms = 5000;   // without progress while a request arrives, and per read inside one
    int write_timeout_ms = 5000;  // per write: a client that does not read its answer is let go
    // Bodies up to this size are buffered before a worker takes the request. A larger one is handed over
    // with its header and read by the worker as it comes (httplib refuses it if over its payload limit).
    std::size_t max_buffered_body = 256 * 1024;
    // Niceness of the workers (0-19): CPU-bound workers that stand back for the processes that need the CPU
    // only briefly -- a proxy in front, a load generator, a shell -- so that those are not kept waiting
    // behind a busy server. The workers still get every cycle nobody else wants.
    int worker_nice = 0;
    // Requests that take long (given their bytes: request line, header, body) go to the heavy workers, so
    // that a few of them never hold up the quick ones. Requests read as they come (chunked, or a body over
    // max_buffered_body) always do.
    std::function<bool(std::string_view request)> is_heavy;
    // The most body bytes httplib may read for one chunked request (its payload limit): a chunked body has no
    // length to check up front, so the stream ends there, chunk framing allowed for (see chunked_read_limit).
    std::size_t max_chunked_body = 10u << 20;
    // Added to the answers this layer gives itself (refused requests), e.g. CORS for the API.
    httplib::Headers refusal_headers;
};

// The caps on a request's header section, checked before httplib sees it (431 as soon as either is passed):
// fields, and bytes from the request line to the blank line that ends the header. Browsers send 10-20 fields
// in 1-2 KiB; httplib 0.11.4 caps each line at 8 KiB but neither the count nor the total. With
// max_buffered_body they bound what an incomplete request holds in memory (see inspect_request).
constexpr std::size_t kMaxHeaderFields = 100;
constexpr std::size_t kMaxRequestHeader = 16 * 1024;

// How much of a request the buffered bytes hold (see inspect_request).
struct RequestFrame {
    enum State {
        incomplete,       // wait for more bytes
        ready,            // header and Content-Length body are all there: `size` bytes
        ready_streaming,  // hand over now: httplib reads the body as it comes (chunked, or over the buffer)
        needs_continue,   // complete header with "Expect: 100-continue": answer it, then wait for the body
        refused,          // answer `status` with {"error": message, "code": code} and close the connection
    } state = incomplete;
    // Bytes of the request: header plus Content-Length body (once the header is complete; a chunked body's
    // length is not known, so `size` is then the header's). What has arrived, while the header is incomplete.
    std::size_t size = 0;
    bool chunked = false;                          // the body is chunked: it ends where httplib finds its end
    std::size_t expect_begin = 0, expect_end = 0;  // the Expect header line, for needs_continue
    int status = 0;                                // refused: 400, 414, 415, 431 or 501
    const char* code = "";                         // refused: the stable error code
    const char* message = "";                      // refused: why, for people
};
RequestFrame inspect_request(std::string_view bytes, std::size_t max_buffered_body);

// The bytes httplib may read for a chunked request of `max_chunked_body` body bytes: header, body, and the
// chunk framing of chunks of 64 bytes or more.
std::size_t chunked_read_limit(std::size_t header_size, std::size_t max_chunked_body);

// `serve_one(stream, close_connection, connection_closed)` is httplib's Server::process_request.
using ServeOne = std::function<bool(httplib::Stream&, bool close_connection, bool& connection_closed)>;

class ConnectionPool {
  public:
    // `workers` serve requests as they become complete; `heavy_workers` serve the ones limits.is_heavy picks.
    ConnectionPool(int workers, int heavy_workers, ConnectionLimits limits, ServeOne serve_one);
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // Takes an accepted socket; the pool closes it.
    void add(socket_t sock);
    // Stops the workers; returns at once (safe from any thread).
    void request_stop();
    // Waits for the workers, then closes every connection still open.
    void join();

  private:
    class Connection;
    bool arm(int operation, socket_t sock, std::uint64_t id);  // epoll_ctl ADD or MOD; call under mutex_
    void lower_priority() const;                               // on the calling worker thread
    void work();
    void work_heavy();
    void serve(Connection& connection, std::uint64_t id, bool heavy_worker);
    void close_idle(std::chrono::steady_clock::time_point now);
    void close_locked(std::uint64_t id);

    ConnectionLimits limits_;
    ServeOne serve_one_;
    int epoll_fd_ = -1, stop_fd_ = -1;
    std::mutex mutex_;  // everything below, and the epoll registrations of the connections' sockets
    std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
    std::uint64_t next_id_ = 1;
    std::deque<std::uint64_t> heavy_queue_;
    std::condition_variable heavy_ready_;
    bool stopping_ = false;
    std::atomic<std::int64_t> next_sweep_ns_{0};
    std::vector<std::thread> workers_;
};

}  // namespace digit
