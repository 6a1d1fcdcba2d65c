#include "routes.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

#include "answers.hpp"
#include "uploads.hpp"

namespace digit {

const std::vector<Route>& api_routes() {
    static const std::vector<Route> kRoutes = {
        {"GET", "/", RouteKind::get, &Api::welcome, nullptr, false, false},
        {"GET", "/healthz", RouteKind::get, &Api::health, nullptr, false, true},
        {"GET", "/readyz", RouteKind::get, &Api::readiness, nullptr, false, true},
        {"GET", "/model", RouteKind::get, &Api::model_info, nullptr, false, true},
        {"GET", "/metrics", RouteKind::get, &Api::metrics_text, nullptr, false, true},
        {"POST", "/predict", RouteKind::predict, nullptr, nullptr, false, true},
        {"POST", "/predict/batch", RouteKind::batch, nullptr, nullptr, true, true},
        {"POST", "/read", RouteKind::read, nullptr, nullptr, false, true},
        // Corrections (feedback.cpp): kept only with --feedback-db; the operator's routes only with
        // --admin-token-file.
        {"POST", "/feedback", RouteKind::feedback, nullptr, nullptr, false, true},
        {"DELETE", "/feedback/{id}", RouteKind::request, nullptr, &Api::feedback_delete, false, true},
        {"GET", "/feedback", RouteKind::request, nullptr, &Api::feedback_list, false, true},
        {"GET", "/feedback/export", RouteKind::request, nullptr, &Api::feedback_export, true, true},
        {"POST", "/admin/reload", RouteKind::request, nullptr, &Api::admin_reload, false, false},
        {"GET", "/openapi.json", RouteKind::get, &Api::openapi, nullptr, false, true},
        // The Open Inference Protocol (inference_protocol.cpp). Inference bodies over max_buffered_body go
        // to the heavy workers by their size, as uploads do.
        {"GET", "/v2/health/live", RouteKind::get, &Api::v2_live, nullptr, false, true},
        {"GET", "/v2/health/ready", RouteKind::get, &Api::v2_ready, nullptr, false, true},
        {"GET", "/v2", RouteKind::get, &Api::v2_server_metadata, nullptr, false, true},
        {"GET", "/v2/models/digitnet", RouteKind::get, &Api::v2_model_metadata, nullptr, false, true},
        {"GET", "/v2/models/digitnet/ready", RouteKind::get, &Api::v2_model_ready, nullptr, false, true},
        {"POST", "/v2/models/digitnet/infer", RouteKind::infer, nullptr, nullptr, false, true},
    };
    return kRoutes;
}

bool path_matches(const std::string& route_path, std::string_view path) {
    std::size_t r = 0, p = 0;
    while (r < route_path.size()) {
        if (route_path[r] == '{') {
            // One non-empty segment of hex digits stands for {name}, as in exact_path_pattern.
            const std::size_t close = route_path.find('}', r);
            std::size_t end = p;
            while (end < path.size() && std::isxdigit(static_cast<unsigned char>(path[end]))) ++end;
            if (end == p || (end < path.size() && path[end] != '/')) return false;
            r = close + 1;
            p = end;
        } else {
            if (p >= path.size() || path[p] != route_path[r]) return false;
            ++r;
            ++p;
        }
    }
    return p == path.size();
}

std::string route_label(const std::string& path) {
    for (const Route& route : api_routes())
        if (path_matches(route.path, path)) return route.path;
    return "other";
}

bool asks_heavy_route(std::string_view request) {
    for (const Route& route : api_routes()) {
        if (!route.heavy) continue;
        const std::string line = std::string(route.method) + " " + route.path;
        if (request.substr(0, line.size()) != line || request.size() == line.size()) continue;
        const char next = request[line.size()];
        if (next == ' ' || next == '?') return true;
    }
    return false;
}

namespace {

// httplib matches paths as regular expressions: a route's path, matched as written, a {name} segment as one
// segment of hex digits (the ids of corrections), so that /feedback/export is never taken for an id.
std::string exact_path_pattern(const std::string& path) {
    std::string pattern;
    for (std::size_t i = 0; i < path.size(); ++i) {
        const char c = path[i];
        if (c == '{' && path.find('}', i) != std::string::npos) {
            pattern += "[0-9A-Fa-f]+";
            i = path.find('}', i);
            continue;
        }
        if (std::strchr(".^$|()[]{}*+?\\", c) != nullptr) pattern += '\\';
        pattern += c;
    }
    return pattern;
}

// POST /v2/models/<model>/infer: the JSON body, read up to the upload limit, answered by Api::v2_infer.
httplib::Server::HandlerWithContentReader inference_handler(const Api& api, std::size_t max_body_bytes) {
    return [&api, max_body_bytes](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
        if (req.is_multipart_form_data()) {
            drain_body(req, reader);
            apply_reply(error_reply(415, "unsupported_media_type",
                                    "send the inference request as a JSON body (application/json)"),
                        res);
            return;
        }
        std::string body;
        bool over_size = false;
        const bool complete = !request_has_body(req) || reader([&](const char* data, std::size_t size) {
            over_size = body.size() + size > max_body_bytes;
            if (!over_size) body.append(data, size);
            return !over_size;
        });
        if (!complete) {
            apply_reply(
                over_size || res.status == 413
                    ? error_reply(413, "payload_too_large",
                                  "the request is larger than " + std::to_string(max_body_bytes) + " bytes")
                    : error_reply(400, "bad_request", "the request body could not be read"),
                res);
            return;
        }
        apply_reply(api.v2_infer(body), res);
    };
}

// The Open Inference Protocol's routes name their model (/v2/models/digitnet/...): the same paths with
// another name answer 404 model_not_found, whatever the method, as the protocol asks.
std::vector<std::string> other_model_patterns(bool ui_port) {
    const std::string model_prefix = std::string("/v2/models/") + kV2ModelName;
    std::vector<std::string> patterns;
    for (const Route& route : api_routes()) {
        const std::string path = route.path;
        if ((ui_port && !route.on_ui_port) || path.compare(0, model_prefix.size(), model_prefix) != 0)
            continue;
        const std::string rest = path.substr(model_prefix.size());
        if (!rest.empty() && rest[0] != '/') continue;
        const std::string pattern = "/v2/models/[^/]+" + exact_path_pattern(rest);
        if (std::find(patterns.begin(), patterns.end(), pattern) == patterns.end())
            patterns.push_back(pattern);
    }
    return patterns;
}

}  // namespace

void register_api_routes(httplib::Server& server, const Api& api, bool ui_port) {
    // Known paths with another method answer 405 with Allow, not 404.
    std::map<std::string, std::string> allowed;
    for (const Route& route : api_routes()) {
        if (ui_port && !route.on_ui_port) continue;
        const std::string pattern = exact_path_pattern(route.path);
        if (route.kind == RouteKind::get) {
            const auto method = route.get;
            server.Get(pattern, [&api, method](const httplib::Request&, httplib::Response& res) {
                apply_reply((api.*method)(), res);
            });
        } else if (route.kind == RouteKind::infer) {
            server.Post(pattern, inference_handler(api, api.options().max_upload_bytes));
        } else if (route.kind == RouteKind::request) {
            // No body is read (one sent is drained); the answer comes from the request's headers and path.
            const auto answer = route.answer;
            auto respond = [&api, answer](const httplib::Request& req, httplib::Response& res) {
                apply_reply((api.*answer)(request_info(req)), res);
            };
            auto respond_after_body = [respond](const httplib::Request& req, httplib::Response& res,
                                                const httplib::ContentReader& reader) {
                drain_body(req, reader);
                respond(req, res);
            };
            if (std::strcmp(route.method, "GET") == 0)
                server.Get(pattern, respond);
            else if (std::strcmp(route.method, "DELETE") == 0)
                server.Delete(pattern, respond_after_body);
            else
                server.Post(pattern, respond_after_body);
        } else {
            server.Post(pattern, upload_handler(api, route.kind));
        }
        std::string& allow = allowed[route.path];
        allow += (allow.empty() ? "" : ", ") + std::string(route.method);
    }
    for (const auto& [path, methods] : allowed) {
        const std::string allow = methods + ", OPTIONS";
        auto refuse = [allow](const httplib::Request& req, httplib::Response& res) {
            res.set_header("Allow", allow);
            apply_reply(
                error_reply(405, "method_not_allowed", req.method + " is not allowed here; use " + allow),
                res);
        };
        auto refuse_with_body = [refuse](const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
            drain_body(req, reader);
            refuse(req, res);
        };
        const std::string pattern = exact_path_pattern(path);
        if (methods.find("GET") == std::string::npos) server.Get(pattern, refuse);
        if (methods.find("POST") == std::string::npos) server.Post(pattern, refuse_with_body);
        server.Put(pattern, refuse_with_body);
        server.Patch(pattern, refuse_with_body);
        if (methods.find("DELETE") == std::string::npos) server.Delete(pattern, refuse_with_body);
    }
    for (const std::string& pattern : other_model_patterns(ui_port)) {
        auto unknown = [&api](const httplib::Request& req, httplib::Response& res) {
            apply_reply(api.v2_unknown_model(req.path), res);
        };
        auto unknown_with_body = [unknown](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& reader) {
            drain_body(req, reader);
            unknown(req, res);
        };
        server.Get(pattern, unknown);
        server.Post(pattern, unknown_with_body);
        server.Put(pattern, unknown_with_body);
        server.Patch(pattern, unknown_with_body);
        server.Delete(pattern, unknown_with_body);
    }
}

}  // namespace digit
