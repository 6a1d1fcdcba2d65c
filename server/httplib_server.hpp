// Everything that reaches into cpp-httplib beyond its public client/server API lives here: a Server whose
// accepted sockets go to our ConnectionPool, that reads its own timeout settings, widens its listen backlog
// and can serve request bytes from memory (for the fuzzer and fast tests). The build fails on any other
// httplib version, so that a change in those internals shows up as a compile error, not as a broken request.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>

#include "connection.hpp"

namespace digit {

constexpr bool same_text(const char* a, const char* b) {
    return *a == *b && (*a == '\0' || same_text(a + 1, b + 1));
}
static_assert(
    same_text(CPPHTTPLIB_VERSION, "0.11.4"),
    "httplib_server.cpp uses cpp-httplib 0.11.4's protected members (process_request, svr_sock_, the "
    "timeout fields, new_task_queue): check them against this version before changing it");

class PooledServer : public httplib::Server {
  public:
    // Connections are served by `workers` threads of a ConnectionPool (see connection.hpp). Call once the
    // timeouts and limits are set.
    void serve_with_pool(int workers, int heavy_workers, ConnectionLimits limits);
    // httplib listens with a backlog of 5: a burst of new clients (a load balancer, wrk's 16 connections)
    // would see SYNs dropped and retried a second later. Listening again on the bound socket widens it.
    void widen_backlog();
    void stop_connections();
    void join_connections();
    // Raw HTTP/1.1 request bytes (one or more pipelined requests) through the full request handling, without
    // a socket; returns the raw response bytes.
    std::string serve_bytes(const std::string& request_bytes);

    // httplib's accept loop calls this for every accepted socket.
    bool process_and_close_socket(socket_t sock) override;

  private:
    std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace digit
