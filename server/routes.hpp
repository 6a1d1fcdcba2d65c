// Every API route, written once: the servers register them from this table, metrics label requests by its
// paths, known paths with another method answer 405 from it, and the connection pool picks the workers
// from it. Both ports answer every route (same origin for the page), except "/", which is the page on the
// UI port. server/openapi.json describes every route of this table (a test holds the two together).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app.hpp"

namespace httplib {
class Server;
}

namespace digit {

enum class RouteKind {
    get,       // answered by `get`, no body
    predict,   // one image: multipart field "file" or an image/* body
    read,      // one image as /predict takes it, read as a whole number
    batch,     // several "file" fields
    infer,     // a JSON body: the Open Inference Protocol's inference request
    feedback,  // a correction: multipart fields, the image among them (Api::feedback)
    request,   // no body; answered by `answer` from the request's headers, path and query
};
struct Route {
    const char* method;  // "GET", "POST" or "DELETE"
    const char* path;    // a segment written {name} matches any one segment ("/feedback/{id}")
    RouteKind kind;
    Reply (Api::*get)() const;                       // what answers a RouteKind::get route
    Reply (Api::*answer)(const RequestInfo&) const;  // what answers a RouteKind::request route
    bool heavy;  // served by the workers for long requests (see ConnectionPool)
    bool on_ui_port;
};
const std::vector<Route>& api_routes();

// The route label for metrics: the known routes by name, everything else as one label, so that scanners
// probing random paths cannot grow the metric set without bound.
std::string route_label(const std::string& path);

// Whether the start of a request (its request line) asks for a route the heavy workers serve.
bool asks_heavy_route(std::string_view request);

// Whether `path` is what a route's path stands for, a {name} segment standing for one of hex digits.
bool path_matches(const std::string& route_path, std::string_view path);

// Registers every route of the table on `server` (those for the UI port only, with `ui_port`), answered by
// `api`; known paths with another method answer 405 with Allow, and the Open Inference Protocol's routes
// with another model's name 404 model_not_found.
void register_api_routes(httplib::Server& server, const Api& api, bool ui_port);

}  // namespace digit
