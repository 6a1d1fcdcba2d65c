// digit-server's application: the HTTP API (port 5001) and the UI's static files (port 3000), both on
// cpp-httplib. The request logic lives in `Api`, which works on plain values (uploaded parts or a raw body
// in, status + JSON out) so that tests and the fuzzer drive it without a socket; `App` wires it to httplib.
//
// Where each part lives: handlers.cpp (Api), inference_protocol.cpp (Api's /v2 routes), answers (the JSON
// of answers and errors), routes (the one table of routes, and their registration), uploads, metrics,
// static_files (the UI), access_log, connection (the connection pool), httplib_server (httplib's
// internals), app.cpp (App: configuration and lifecycle).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "classifier.hpp"
#include "metrics.hpp"
#include "rate_limit.hpp"
#include "recognizer.hpp"
#include "store.hpp"

namespace httplib {
class Server;
}

namespace digit {

class PooledServer;  // httplib_server.hpp

class LineReader;  // line_reader.hpp

struct ServerOptions {
    std::string model_path;
    // The line reader of /read: empty for linenet.cnn beside model_path (the old route when that file is
    // missing), "none" for the old route.
    std::string line_model_path;
    std::string host = "0.0.0.0";
    int port = 5001;     // 0 picks a free port (tests); App::api_port() tells which
    int ui_port = 3000;  // 0 picks a free port; -1 disables the UI server
    std::string ui_dir = "frontend/dist";
    // Workers for quick requests, answered in the order they arrive (one per core is best: more only share
    // the cores less fairly), and for batches and large uploads (see ConnectionPool).
    int threads = 2;
    int heavy_threads = 4;
    // Niceness of the API's workers: they are CPU-bound, and other processes on the machine that need a core
    // briefly (a proxy in front of the server, the clients of a load test) should not wait behind them.
    int worker_nice = 5;
    // Batch inferences (/predict/batch) running at once (0: one per core); a batch is many images' work,
    // and this keeps a few large batches from starving single predictions.
    int max_concurrent_inferences = 0;
    std::size_t max_upload_bytes = 10u << 20;  // whole request body, multipart envelope included
    std::size_t max_batch_files = 64;
    int read_timeout_ms = 5000;  // per read: a client that stalls frees its thread after this long
    int write_timeout_ms = 5000;
    DecodeOptions pipeline;

    // Corrections (POST /feedback): kept only with a database (sqlite:PATH or postgresql://...).
    std::string feedback_db;
    int feedback_retention_days = 30;
    double feedback_per_minute = 20;  // per client, a token bucket refilled at this rate ...
    double feedback_burst = 10;       // ... holding this many; 0 per minute: no limit
    std::int64_t feedback_max_rows = 100000;
    std::int64_t feedback_max_bytes = std::int64_t(2) << 30;
    std::size_t feedback_max_upload_bytes = 2u << 20;  // an upload larger is kept without its original bytes
    // The operator's routes (GET /feedback, GET /feedback/export, POST /admin/reload): a bearer token read
    // from this file; off without it.
    std::string admin_token_file;
};

// What a handler may know of the request beyond its body. `client` is the peer's address, used for the rate
// limit and never stored.
struct RequestInfo {
    std::string client;
    std::string path;
    std::string authorization;  // the Authorization header
    std::string delete_token;   // X-Delete-Token
    std::map<std::string, std::string> query;
};

// One uploaded file: a multipart part, or the whole body of a raw image/* request.
struct Upload {
    std::string field_name;  // "file" for the API's uploads; empty for a raw body
    std::string filename;
    std::string content_type;
    std::string content;
};

// An HTTP answer before it meets the socket. Errors share one shape, {"error": "<message for people>",
// "code": "<stable code>"}: error_reply (answers.hpp) writes them.
struct Reply {
    int status = 200;
    std::string body;  // JSON unless content_type says otherwise
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;  // beyond the defaults (Retry-After, ...)
};

// The API's logic on plain values. Thread-safe; the classifier is shared read-only once loaded.
class Api {
  public:
    explicit Api(ServerOptions options);

    void set_classifier(std::shared_ptr<const Classifier> classifier);
    // The line reader /read uses (null: the old route, digits only).
    void set_line_reader(std::shared_ptr<const LineReader> reader) {
        std::atomic_store(&line_reader_, std::move(reader));
    }
    bool ready() const { return std::atomic_load(&classifier_) != nullptr; }

    // POST /predict: `uploads` are the multipart parts (only fields named "file" count), or one raw body
    // part when the request was an image/* body. `debug` adds "input": the 28x28 rows the model saw.
    Reply predict(const std::vector<Upload>& uploads, bool debug) const;
    // POST /predict/batch: every "file" part, up to max_batch_files -> {"results": [...]}.
    Reply predict_batch(const std::vector<Upload>& uploads, bool debug) const;
    // POST /read: the same upload as /predict, read as a whole number -> {"text", "confidence", "digits"}.
    // `debug` adds each digit's 28x28 as "input".
    // `request.query["charset"]`: numeric (the default) or digits.
    Reply read(const std::vector<Upload>& uploads, bool debug, const RequestInfo& request) const;

    // POST /feedback: a correction (multipart: file, label, kind, consent, predicted, model_version), kept
    // with the 28x28 input(s) the model saw -> 201 {"id", "delete_token"}. feedback.cpp.
    Reply feedback(const std::vector<Upload>& parts, const RequestInfo& request) const;
    Reply feedback_delete(const RequestInfo& request) const;  // DELETE /feedback/{id}, X-Delete-Token
    Reply feedback_list(const RequestInfo& request) const;    // GET /feedback (operator)
    Reply feedback_export(const RequestInfo& request) const;  // GET /feedback/export (operator)
    Reply admin_reload(const RequestInfo& request) const;     // POST /admin/reload (operator)

    // The store corrections go to (none: /feedback answers 404), the operator's token (empty: the operator's
    // routes answer 404), and what reloads the model files (App::reload_model).
    void set_feedback_store(std::shared_ptr<feedback::Store> store) { store_ = std::move(store); }
    bool feedback_enabled() const { return store_ != nullptr; }
    feedback::Store* feedback_store() const { return store_.get(); }
    // The loaded model's version ("" before it is loaded).
    std::string model_version() const {
        const auto classifier = std::atomic_load(&classifier_);
        return classifier ? classifier->version() : std::string();
    }
    void set_admin_token(std::string token) { admin_token_ = std::move(token); }
    void set_reloader(std::function<bool(std::string& problem)> reload) { reload_ = std::move(reload); }

    Reply welcome() const;
    Reply health() const;
    Reply readiness() const;
    Reply model_info() const;
    Reply metrics_text() const;
    Reply openapi() const;  // GET /openapi.json: server/openapi.json, embedded at build time

    // The Open Inference Protocol (v2, KServe's REST flavour) beside our own routes; inference_protocol.cpp.
    Reply v2_live() const;             // GET /v2/health/live
    Reply v2_ready() const;            // GET /v2/health/ready
    Reply v2_server_metadata() const;  // GET /v2
    Reply v2_model_metadata() const;   // GET /v2/models/digitnet
    Reply v2_model_ready() const;      // GET /v2/models/digitnet/ready
    // POST /v2/models/digitnet/infer: `body` is the JSON inference request; its tensor is already normalised
    // as the model expects (see Classifier::predict_normalised).
    Reply v2_infer(const std::string& body) const;
    // Any route of the protocol that names another model (GET /v2/models/other, .../other/infer, ...).
    Reply v2_unknown_model(const std::string& path) const;

    Metrics& metrics() { return metrics_; }
    const ServerOptions& options() const { return options_; }

  private:
    // Runs `work` once one of the inference slots is free.
    template <typename Work>
    auto with_inference_slot(Work&& work) const;
    // The same for code outside handlers.cpp, where the template is not visible.
    void run_in_inference_slot(const std::function<void()>& work) const;

    // Answers the operator's routes may give before their work: 404 when off, 401 without the token.
    bool admin_refused(const RequestInfo& request, Reply& refusal) const;

    std::shared_ptr<const Classifier> classifier_;   // read/written with std::atomic_load/store
    std::shared_ptr<const LineReader> line_reader_;  // the same
    std::shared_ptr<feedback::Store> store_;
    std::string admin_token_;
    std::function<bool(std::string&)> reload_;
    mutable RateLimiter feedback_limiter_;
    mutable std::mutex slots_mutex_;
    mutable std::condition_variable slot_freed_;
    mutable int free_slots_ = 1;
    ServerOptions options_;
    mutable Metrics metrics_;
};

// The Open Inference Protocol's name for the model this server serves, the one model under /v2/models/.
constexpr const char* kV2ModelName = "digitnet";

// server/openapi.json as it was at build time.
std::string_view openapi_document();

// Both servers in one process. start() binds and begins serving (model not yet loaded: /readyz is 503);
// load_model() then loads it; run until stop().
class App {
  public:
    explicit App(ServerOptions options);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Binds both ports and starts the listener threads. Throws std::runtime_error when a port is taken.
    void start();
    // Loads the model file; throws std::runtime_error naming the file and the problem.
    void load_model();
    // Loads the model files afresh (SIGHUP, POST /admin/reload) while the old model serves: requests in
    // flight finish on it, new ones take the new one. A file that cannot be loaded is refused and the old
    // model kept; false then, with the problem, which is logged and counted in /metrics.
    bool reload_model(std::string& problem);
    void request_stop();  // stops both listeners; returns at once (safe from another thread)
    void stop();          // request_stop() + wait()
    void wait();          // until the listeners have stopped

    int api_port() const { return api_port_; }
    int ui_port() const { return ui_port_; }
    Api& api() { return *api_; }

    // Feeds raw HTTP/1.1 request bytes (one or more pipelined requests) through the API server's full
    // request handling -- httplib's parsing and multipart reader, the routes, the limits, the JSON errors --
    // without a socket, and returns the raw response bytes. For the fuzzer and for fast tests.
    std::string serve_api_bytes(const std::string& request_bytes);
    std::string serve_ui_bytes(const std::string& request_bytes);

  private:
    void configure_api_server(httplib::Server& server);
    void enforce_retention();
    void configure_ui_server(httplib::Server& server);

    ServerOptions options_;
    std::unique_ptr<Api> api_;
    std::unique_ptr<PooledServer> api_server_, ui_server_;
    std::thread api_thread_, ui_thread_;
    // Retention: rows older than --feedback-retention-days are deleted at start and every hour.
    std::thread retention_thread_;
    std::mutex retention_mutex_;
    std::condition_variable retention_wake_;
    bool stopping_ = false;
    std::mutex reload_mutex_;
    int api_port_ = -1, ui_port_ = -1;
    std::atomic<bool> started_{false};
};

}  // namespace digit
