// One keep-alive connection of the API or UI server: the loop that httplib::Server runs per accepted socket,
// with a stream that costs fewer system calls per request than httplib's own. httplib 0.11 polls before
// every read and twice before every write, sends a response's headers and body as two TCP segments, and asks
// the kernel for both socket addresses on every request: about 11 calls and two wake-ups of the client per
// small request. Here a request costs a poll for the next request, a recv and one send; the addresses are
// looked up once per connection. httplib still parses, routes and writes every request.
#pragma once

#include <atomic>
#include <functional>

#include <httplib.h>

namespace digit {

struct ConnectionLimits {
    std::size_t max_requests = 100;  // then the connection is closed (the last answer says so)
    int keep_alive_timeout_ms = 5000;
    int read_timeout_ms = 5000;   // per read: a client that stalls mid-request frees the thread
    int write_timeout_ms = 5000;  // per write: a client that does not read its answer frees it too
};

// Serves requests on `sock` until the client closes, a limit is reached, a read or write fails, or
// `listener` becomes INVALID_SOCKET (the server is stopping); then shuts the socket down and closes it.
// `serve_one(stream, close_connection, connection_closed)` is httplib's Server::process_request.
using ServeOne = std::function<bool(httplib::Stream&, bool close_connection, bool& connection_closed)>;
bool serve_connection(socket_t sock, const std::atomic<socket_t>& listener, const ConnectionLimits& limits,
                      const ServeOne& serve_one);

}  // namespace digit
