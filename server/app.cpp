// The App's lifecycle: both servers configured (timeouts, error and exception handlers, the access log,
// CORS or the UI's security headers), bound, served by their connection pools, stopped.
#include "app.hpp"

#include "line_reader.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "access_log.hpp"
#include "answers.hpp"
#include "connection.hpp"
#include "httplib_server.hpp"
#include "routes.hpp"
#include "static_files.hpp"
#include "uploads.hpp"

namespace digit {
namespace {

using Clock = std::chrono::steady_clock;

// What a log line may show of a client-chosen path: printable ASCII, bounded.
std::string printable(const std::string& text, std::size_t limit = 200) {
    std::string out;
    for (char c : text.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (text.size() > limit) out += "...";
    return out;
}

// The time the current request reached routing, per worker thread (httplib serves a request on one thread
// from start to end); the logger reads and clears it.
thread_local Clock::time_point request_started{};

// Settings both servers share: timeouts so that stalled clients free their threads, JSON for every error,
// a JSON 500 for anything thrown, one log line per request.
void configure_common(httplib::Server& server, const ServerOptions& options, Metrics* metrics) {
    server.set_read_timeout(std::chrono::milliseconds(options.read_timeout_ms));
    server.set_write_timeout(std::chrono::milliseconds(options.write_timeout_ms));
    server.set_keep_alive_timeout(5);
    server.set_keep_alive_max_count(10000);
    server.set_tcp_nodelay(true);
    server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
        request_started = Clock::now();
        return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
            if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // already JSON
            const auto [code, message] = default_error_for(res.status);
            apply_reply(error_reply(res.status, code, message), res);
            return httplib::Server::HandlerResponse::Handled;
        }));
    server.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
            std::string what = "unknown exception";
            try {
                if (error) std::rethrow_exception(error);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            std::fprintf(stderr, "digit-server: error while handling %s %s: %s\n", req.method.c_str(),
                         printable(req.path).c_str(), printable(what, 500).c_str());
            apply_reply(error_reply(500, "internal_error", "internal server error"), res);
        });
    server.set_logger([metrics](const httplib::Request& req, const httplib::Response& res) {
        double latency_ms = 0.0;
        if (request_started != Clock::time_point{}) {
            latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - request_started).count();
            request_started = Clock::time_point{};
        }
        if (metrics != nullptr)
            metrics->record_request(route_label(req.path), res.status, latency_ms / 1000.0);
        char line[512];
        const int length =
            std::snprintf(line, sizeof line, "%s %s %d %.2fms\n", printable(req.method, 16).c_str(),
                          printable(req.path).c_str(), res.status, latency_ms);
        if (length > 0)
            AccessLog::instance().append(line, std::min<std::size_t>(std::size_t(length), sizeof line - 1));
    });
}

// Refuse an oversized body from its Content-Length: httplib then discards it without storing it. A client
// that asked "Expect: 100-continue" (curl does for large bodies) is refused before sending it.
void configure_uploads(httplib::Server& server, std::size_t max_upload) {
    server.set_payload_max_length(max_upload);
    server.set_expect_100_continue_handler([max_upload](const httplib::Request& req, httplib::Response& res) {
        if (declared_length(req) > max_upload) {
            apply_reply(error_reply(413, "payload_too_large", "the upload is larger than the server accepts"),
                        res);
            // httplib writes this answer without computing its length: give it, so the client can read it.
            res.set_header("Content-Length", std::to_string(res.body.size()));
            return 413;
        }
        return 100;
    });
}

// The operator's token: the file's first line, at least 16 characters.
std::string read_admin_token(const std::string& path) {
    std::ifstream in(path);
    std::string token;
    if (!in || !std::getline(in, token)) throw std::runtime_error("--admin-token-file: cannot read " + path);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t'))
        token.pop_back();
    if (token.size() < 16)
        throw std::runtime_error("--admin-token-file: " + path + " holds a token shorter than 16 characters");
    return token;
}

}  // namespace

App::App(ServerOptions options)
    : options_(std::move(options)),
      api_(std::make_unique<Api>(options_)),
      api_server_(std::make_unique<PooledServer>()),
      ui_server_(std::make_unique<PooledServer>()) {
    if (!options_.feedback_db.empty()) {
        feedback::StoreLimits limits;
        limits.max_rows = options_.feedback_max_rows;
        limits.max_bytes = options_.feedback_max_bytes;
        try {
            api_->set_feedback_store(feedback::open_store(options_.feedback_db, limits,
                                                          options_.threads + options_.heavy_threads));
        } catch (const feedback::StoreError& e) {
            throw std::runtime_error(std::string("--feedback-db: ") + e.what());
        }
    }
    if (!options_.admin_token_file.empty())
        api_->set_admin_token(read_admin_token(options_.admin_token_file));
    api_->set_reloader([this](std::string& problem) { return reload_model(problem); });
    configure_api_server(*api_server_);
    configure_ui_server(*ui_server_);
    // Quick requests (a single upload of modest size) on one worker per core, in the order they come; batches
    // and large uploads (phone photos take tens of milliseconds to decode; bodies over max_buffered_body, 256
    // KiB, are read as they come) on their own workers.
    ConnectionLimits api_limits;
    api_limits.worker_nice = options_.worker_nice;
    api_limits.refusal_headers = {{"Access-Control-Allow-Origin", "*"}};
    api_limits.is_heavy = asks_heavy_route;
    api_server_->serve_with_pool(options_.threads, options_.heavy_threads, api_limits);
    // The UI port answers the API's routes too (the page calls its own origin), with the same workers; its
    // refusals need no CORS header.
    if (options_.ui_port >= 0) {
        ConnectionLimits ui_limits = api_limits;
        ui_limits.refusal_headers.clear();
        ui_server_->serve_with_pool(options_.threads, options_.heavy_threads, ui_limits);
    }
}

App::~App() {
    stop();
}

std::string App::serve_api_bytes(const std::string& request_bytes) {
    return api_server_->serve_bytes(request_bytes);
}
std::string App::serve_ui_bytes(const std::string& request_bytes) {
    return ui_server_->serve_bytes(request_bytes);
}

void App::configure_api_server(httplib::Server& server) {
    configure_common(server, options_, &api_->metrics());
    // Browsers call the API from the UI's origin (port 3000, or a dev server): allow any origin; the API
    // holds no cookies or credentials to protect.
    server.set_default_headers(
        {{"Access-Control-Allow-Origin", "*"},
         {"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"},
         {"Access-Control-Allow-Headers", "Content-Type, Authorization, X-Delete-Token"},
         {"Access-Control-Expose-Headers", "Retry-After"},
         {"Access-Control-Max-Age", "86400"},
         {"X-Content-Type-Options", "nosniff"}});
    configure_uploads(server, options_.max_upload_bytes);

    register_api_routes(server, *api_, false);
    // CORS preflight, for any path.
    server.Options(".*", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
}

void App::configure_ui_server(httplib::Server& server) {
    configure_common(server, options_, &api_->metrics());
    server.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                                {"Referrer-Policy", "no-referrer"},
                                {"X-Frame-Options", "DENY"}});
    configure_uploads(server, options_.max_upload_bytes);
    register_api_routes(server, *api_, true);
    const std::string ui_dir = options_.ui_dir;
    const int api_port = options_.port;
    const int* bound_api_port = &api_port_;
    server.Get(".*", [ui_dir, api_port, bound_api_port](const httplib::Request& req, httplib::Response& res) {
        serve_ui_file(req, res, ui_dir, *bound_api_port > 0 ? *bound_api_port : api_port);
    });
    auto refuse = [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Allow", "GET, HEAD");
        apply_reply(error_reply(405, "method_not_allowed", "the UI server only serves files"), res);
    };
    auto refuse_with_body = [refuse](const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader) {
        drain_body(req, reader);
        refuse(req, res);
    };
    server.Post(".*", refuse_with_body);
    server.Put(".*", refuse_with_body);
    server.Patch(".*", refuse_with_body);
    server.Delete(".*", refuse_with_body);
}

void App::start() {
    api_port_ = options_.port == 0
                    ? api_server_->bind_to_any_port(options_.host)
                    : (api_server_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
    if (api_port_ <= 0) {
        throw std::runtime_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                                 " (in use, or no permission)");
    }
    api_server_->widen_backlog();
    if (options_.ui_port >= 0) {
        ui_port_ = options_.ui_port == 0
                       ? ui_server_->bind_to_any_port(options_.host)
                       : (ui_server_->bind_to_port(options_.host, options_.ui_port) ? options_.ui_port : -1);
        if (ui_port_ <= 0) {
            api_server_->stop();
            throw std::runtime_error("cannot listen on " + options_.host + ":" +
                                     std::to_string(options_.ui_port) + " (in use, or no permission)");
        }
        ui_server_->widen_backlog();
        ui_thread_ = std::thread([this] { ui_server_->listen_after_bind(); });
    }
    api_thread_ = std::thread([this] { api_server_->listen_after_bind(); });
    started_ = true;
    if (api_->feedback_enabled()) retention_thread_ = std::thread([this] { enforce_retention(); });
}

void App::enforce_retention() {
    feedback::Store* store = api_->feedback_store();
    std::unique_lock<std::mutex> lock(retention_mutex_);
    while (!stopping_) {
        lock.unlock();
        const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
        try {
            const std::int64_t removed =
                store->purge_before(now - std::int64_t(options_.feedback_retention_days) * 86400);
            if (removed > 0)
                std::fprintf(stderr, "digit-server: retention: %lld corrections older than %d days deleted\n",
                             (long long)removed, options_.feedback_retention_days);
        } catch (const feedback::StoreError& e) {
            std::fprintf(stderr, "digit-server: retention: %s (retried within the hour)\n", e.what());
        }
        lock.lock();
        retention_wake_.wait_for(lock, std::chrono::hours(1), [this] { return stopping_; });
    }
}

void App::load_model() {
    auto classifier =
        std::make_shared<const Classifier>(options_.model_path, options_.threads + options_.heavy_threads);
    // The line reader beside it, when there is one; a file that is there but bad is refused like a bad model.
    std::shared_ptr<const LineReader> reader =
        load_line_reader(options_.model_path, options_.line_model_path);
    api_->set_line_reader(std::move(reader));
    api_->set_classifier(std::move(classifier));
}

bool App::reload_model(std::string& problem) {
    // One reload at a time; the old model serves until the new one is in.
    std::lock_guard<std::mutex> lock(reload_mutex_);
    try {
        load_model();
    } catch (const std::exception& e) {
        problem = e.what();
        api_->metrics().record_reload(false);
        std::fprintf(stderr, "digit-server: reload refused, the old model serves on: %s\n", problem.c_str());
        return false;
    }
    api_->metrics().record_reload(true);
    std::fprintf(stderr, "digit-server: model reloaded: %s\n", api_->model_version().c_str());
    return true;
}

void App::stop() {
    request_stop();
    wait();
}

void App::request_stop() {
    {
        std::lock_guard<std::mutex> lock(retention_mutex_);
        stopping_ = true;
    }
    retention_wake_.notify_all();
    if (started_.load()) {
        // httplib's stop() only acts on a running server: wait for listeners that are still starting.
        for (int i = 0;
             i < 200 && (!api_server_->is_running() || (options_.ui_port >= 0 && !ui_server_->is_running()));
             ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    api_server_->stop();
    ui_server_->stop();
    api_server_->stop_connections();
    ui_server_->stop_connections();
}

void App::wait() {
    if (api_thread_.joinable()) api_thread_.join();
    if (ui_thread_.joinable()) ui_thread_.join();
    {
        std::lock_guard<std::mutex> lock(retention_mutex_);
        stopping_ = true;
    }
    retention_wake_.notify_all();
    if (retention_thread_.joinable()) retention_thread_.join();
    api_server_->join_connections();
    ui_server_->join_connections();
}

}  // namespace digit
