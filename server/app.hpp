// digit-server's application: the HTTP API (port 5001) and the UI's static files (port 3000), both on
// cpp-httplib. The request logic lives in `Api`, which works on plain values (uploaded parts or a raw body
// in, status + JSON out) so that tests and the fuzzer drive it without a socket; `App` wires it to httplib.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
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
#include "recognizer.hpp"

namespace httplib {
class Server;
}

namespace digit {

class PooledServer;  // httplib_server.hpp

struct ServerOptions {
    std::string model_path;
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
};

// One uploaded file: a multipart part, or the whole body of a raw image/* request.
struct Upload {
    std::string field_name;  // "file" for the API's uploads; empty for a raw body
    std::string filename;
    std::string content_type;
    std::string content;
};

// An HTTP answer before it meets the socket.
struct Reply {
    int status = 200;
    std::string body;  // JSON unless content_type says otherwise
    std::string content_type = "application/json";
};

// Error replies share one shape: {"error": "<message for people>", "code": "<stable code>"}.
Reply error_reply(int status, const std::string& code, const std::string& message);

// Prometheus counters: requests by route and status, a latency histogram per route, predictions by digit.
class Metrics {
  public:
    void record_request(const std::string& route, int status, double latency_seconds);
    // An answer: counted by digit when it is one, by reason when it is not.
    void record_prediction(const Prediction& prediction);
    std::string render() const;  // text exposition format 0.0.4

  private:
    static constexpr std::array<double, 12> kBucketBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                             0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    struct Histogram {
        std::array<std::uint64_t, kBucketBounds.size()>
            buckets{};  // non-cumulative here, summed when rendered
        std::uint64_t count = 0;
        double sum = 0.0;
    };
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, int>, std::uint64_t> requests_;
    std::map<std::string, Histogram> latency_;
    std::array<std::atomic<std::uint64_t>, 10> predictions_{};
    std::array<std::atomic<std::uint64_t>, 2> rejections_{};  // not_a_digit, low_confidence
};

// The API's logic on plain values. Thread-safe; the classifier is shared read-only once loaded.
class Api {
  public:
    explicit Api(ServerOptions options);

    void set_classifier(std::shared_ptr<const Classifier> classifier);
    bool ready() const { return std::atomic_load(&classifier_) != nullptr; }

    // POST /predict: `uploads` are the multipart parts (only fields named "file" count), or one raw body
    // part when the request was an image/* body. `debug` adds "input": the 28x28 rows the model saw.
    Reply predict(const std::vector<Upload>& uploads, bool debug) const;
    // POST /predict/batch: every "file" part, up to max_batch_files -> {"results": [...]}.
    Reply predict_batch(const std::vector<Upload>& uploads, bool debug) const;
    // POST /read: the same upload as /predict, read as a whole number -> {"text", "confidence", "digits"}.
    // `debug` adds each digit's 28x28 as "input".
    Reply read(const std::vector<Upload>& uploads, bool debug) const;

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
    // The same for code outside app.cpp, where the template is not visible.
    void run_in_inference_slot(const std::function<void()>& work) const;

    std::shared_ptr<const Classifier> classifier_;  // read/written with std::atomic_load/store
    mutable std::mutex slots_mutex_;
    mutable std::condition_variable slot_freed_;
    mutable int free_slots_ = 1;
    ServerOptions options_;
    mutable Metrics metrics_;
};

// Collects an upload request's body as it streams in, enforcing the limits while it does: total bytes
// (chunked bodies have no Content-Length to check up front) and the number of file parts. httplib feeds it
// multipart parts or raw bytes; the fuzzer feeds it directly.
class UploadCollector {
  public:
    UploadCollector(std::size_t max_bytes, std::size_t max_files)
        : max_bytes_(max_bytes), max_files_(max_files) {}
    bool begin_part(std::string field_name, std::string filename, std::string content_type);
    bool append(const char* data, std::size_t size);  // to the current part, or the raw body
    void begin_raw(std::string content_type);

    bool over_size() const { return over_size_; }
    bool too_many_files() const { return too_many_files_; }
    std::vector<Upload>& uploads() { return uploads_; }

  private:
    std::size_t max_bytes_, max_files_;
    std::size_t total_bytes_ = 0, file_parts_ = 0;
    bool over_size_ = false, too_many_files_ = false;
    std::vector<Upload> uploads_;
};

// The reply to an upload request once its body has been collected without error.
enum class RouteKind;
Reply finish_upload(const Api& api, RouteKind kind, UploadCollector& collected, bool debug);

// Every API route, written once: the servers register them from this table, metrics label requests by its
// paths, known paths with another method answer 405 from it, and the connection pool picks the workers
// from it. Both ports answer every route (same origin for the page), except "/", which is the page on the
// UI port. server/openapi.json describes every route of this table (a test holds the two together).
enum class RouteKind {
    get,      // answered by `get`, no body
    predict,  // one image: multipart field "file" or an image/* body
    read,     // one image as /predict takes it, read as a whole number
    batch,    // several "file" fields
    infer,    // a JSON body: the Open Inference Protocol's inference request
};
struct Route {
    const char* method;  // "GET" or "POST"
    const char* path;
    RouteKind kind;
    Reply (Api::*get)() const;  // what answers a RouteKind::get route
    bool heavy;                 // served by the workers for long requests (see ConnectionPool)
    bool on_ui_port;
};
const std::vector<Route>& api_routes();

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
    void configure_ui_server(httplib::Server& server);
    void register_api_routes(httplib::Server& server, bool ui_port);

    ServerOptions options_;
    std::unique_ptr<Api> api_;
    std::unique_ptr<PooledServer> api_server_, ui_server_;
    std::thread api_thread_, ui_thread_;
    int api_port_ = -1, ui_port_ = -1;
    std::atomic<bool> started_{false};
};

}  // namespace digit
