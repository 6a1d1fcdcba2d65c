#include "app.hpp"
#include "connection.hpp"
#include "httplib_server.hpp"
#include "numbers.hpp"

#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace digit {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A number for JSON with the float noise trimmed: 0.998 rather than 0.99800002574920654.
double rounded(double value, double scale = 1e6) {
    return std::round(value * scale) / scale;
}

// The HTTP status of each error the recognition core reports: the one place codes meet statuses.
int http_status(ErrorCode code) {
    switch (code) {
        case ErrorCode::unsupported_media_type:
            return 415;
        case ErrorCode::image_too_large:
        case ErrorCode::empty_image:
            return 422;
    }
    return 400;
}

// "input": the 28x28 image the model saw, 28 rows of 28 values in [0,1], ink = 1 (the UI draws it).
json input_json(const Image28& input) {
    json rows = json::array();
    for (int y = 0; y < kImageSide; ++y) {
        json row = json::array();
        for (int x = 0; x < kImageSide; ++x)
            row.push_back(rounded(input[std::size_t(y * kImageSide + x)], 1e4));
        rows.push_back(std::move(row));
    }
    return rows;
}

// [x, y, width, height]
json box_json(const Box& box) {
    return {box.x0, box.y0, box.width(), box.height()};
}

json prediction_json(const Prediction& prediction, const Image28* input) {
    json probabilities = json::array();
    for (float p : prediction.probabilities) probabilities.push_back(rounded(p));
    json answer = {{"predicted_digit", prediction.digit},
                   {"confidence", rounded(prediction.confidence)},
                   {"probabilities", std::move(probabilities)},
                   {"is_digit", prediction.is_digit}};
    if (!prediction.is_digit) answer["reason"] = rejection_name(prediction.reason);
    if (input != nullptr) answer["input"] = input_json(*input);
    return answer;
}

Reply json_reply(int status, const json& body) {
    return Reply{status, body.dump(), "application/json"};
}

bool is_file_field(const Upload& upload) {
    return upload.field_name == "file";
}

// The stable codes for the statuses httplib itself produces (unknown path, unreadable request, ...).
std::pair<const char*, const char*> default_error_for(int status) {
    switch (status) {
        case 400:
            return {"bad_request", "the request could not be parsed"};
        case 404:
            return {"not_found", "no such resource"};
        case 405:
            return {"method_not_allowed", "method not allowed on this resource"};
        case 408:
            return {"request_timeout", "the request took too long to arrive"};
        case 413:
            return {"payload_too_large", "the request body is larger than the server accepts"};
        case 414:
            return {"uri_too_long", "the request URI is too long"};
        case 415:
            return {"unsupported_media_type", "unsupported media type"};
        case 416:
            return {"range_not_satisfiable", "range not satisfiable"};
        case 503:
            return {"not_ready", "the service is not ready"};
        default:
            return {status >= 500 ? "internal_error" : "bad_request", "the request failed"};
    }
}

// The route label for metrics: the known routes by name, everything else as one label, so that scanners
// probing random paths cannot grow the metric set without bound.
std::string route_label(const std::string& path) {
    for (const Route& route : api_routes())
        if (path == route.path) return route.path;
    return "other";
}

// Whether the start of a request (its request line) asks for a route the heavy workers serve.
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

// What a log line may show of a client-chosen path: printable ASCII, bounded.
std::string printable(const std::string& text, std::size_t limit = 200) {
    std::string out;
    for (char c : text.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (text.size() > limit) out += "...";
    return out;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

bool starts_with(const std::string& text, const char* prefix) {
    return text.rfind(prefix, 0) == 0;
}

void apply_reply(const Reply& reply, httplib::Response& res) {
    res.status = reply.status;
    res.set_content(reply.body, reply.content_type.c_str());
}

bool debug_requested(const httplib::Request& req) {
    if (!req.has_param("debug")) return false;
    const std::string value = lowercase(req.get_param_value("debug"));
    return value == "1" || value == "true" || value == "yes";
}

// Whether a body follows the headers. httplib would otherwise wait for the connection to close on a POST
// that has neither Content-Length nor chunked encoding.
bool request_has_body(const httplib::Request& req) {
    if (lowercase(req.get_header_value("Transfer-Encoding")).find("chunked") != std::string::npos)
        return true;
    const std::string length = req.get_header_value("Content-Length");
    return !length.empty() && length.find_first_not_of('0') != std::string::npos;
}

std::uint64_t declared_length(const httplib::Request& req) {
    const std::string length = req.get_header_value("Content-Length");
    char* end = nullptr;
    const unsigned long long value = std::strtoull(length.c_str(), &end, 10);
    return (!length.empty() && end != nullptr && *end == '\0') ? value : 0;
}

// Reads and discards a body the handler refuses, so that the connection stays in step for the next request
// (httplib leaves an unread body in the stream). Bounded by the server's payload limit.
void drain_body(const httplib::Request& req, const httplib::ContentReader& reader) {
    if (!request_has_body(req)) return;
    if (req.is_multipart_form_data()) {
        reader([](const httplib::MultipartFormData&) { return true; },
               [](const char*, std::size_t) { return true; });
    } else {
        reader([](const char*, std::size_t) { return true; });
    }
}

// The time the current request reached routing, per worker thread (httplib serves a request on one thread
// from start to end); the logger reads and clears it.
thread_local Clock::time_point request_started{};

}  // namespace

Reply error_reply(int status, const std::string& code, const std::string& message) {
    return json_reply(status, json{{"error", message}, {"code", code}});
}

// ---- Metrics -------------------------------------------------------------------------------------------

void Metrics::record_request(const std::string& route, int status, double latency_seconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++requests_[{route, status}];
    Histogram& histogram = latency_[route];
    const auto bucket = std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), latency_seconds);
    if (bucket != kBucketBounds.end()) ++histogram.buckets[std::size_t(bucket - kBucketBounds.begin())];
    ++histogram.count;
    histogram.sum += latency_seconds;
}

void Metrics::record_prediction(const Prediction& prediction) {
    if (prediction.reason == Rejection::not_a_digit)
        rejections_[0].fetch_add(1, std::memory_order_relaxed);
    else if (prediction.reason == Rejection::low_confidence)
        rejections_[1].fetch_add(1, std::memory_order_relaxed);
    else if (prediction.digit >= 0 && prediction.digit < 10)
        predictions_[std::size_t(prediction.digit)].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render() const {
    std::ostringstream out;
    std::lock_guard<std::mutex> lock(mutex_);
    out << "# HELP digit_http_requests_total HTTP requests answered, by route and status.\n"
        << "# TYPE digit_http_requests_total counter\n";
    for (const auto& [key, count] : requests_)
        out << "digit_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} "
            << count << "\n";
    out << "# HELP digit_http_request_duration_seconds Time from routing to the response, by route.\n"
        << "# TYPE digit_http_request_duration_seconds histogram\n";
    for (const auto& [route, histogram] : latency_) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kBucketBounds.size(); ++i) {
            cumulative += histogram.buckets[i];
            out << "digit_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
                << kBucketBounds[i] << "\"} " << cumulative << "\n";
        }
        out << "digit_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} "
            << histogram.count << "\n"
            << "digit_http_request_duration_seconds_sum{route=\"" << route << "\"} " << histogram.sum << "\n"
            << "digit_http_request_duration_seconds_count{route=\"" << route << "\"} " << histogram.count
            << "\n";
    }
    out << "# HELP digit_predictions_total Answers that were a digit, by digit.\n"
        << "# TYPE digit_predictions_total counter\n";
    for (int d = 0; d < 10; ++d)
        out << "digit_predictions_total{digit=\"" << d << "\"} " << predictions_[std::size_t(d)].load()
            << "\n";
    out << "# HELP digit_rejections_total Answers that were not a digit (images and marks in numbers), by "
           "reason.\n"
        << "# TYPE digit_rejections_total counter\n"
        << "digit_rejections_total{reason=\"not_a_digit\"} " << rejections_[0].load() << "\n"
        << "digit_rejections_total{reason=\"low_confidence\"} " << rejections_[1].load() << "\n";
    return out.str();
}

// ---- Api -----------------------------------------------------------------------------------------------

Api::Api(ServerOptions options) : options_(std::move(options)) {
    free_slots_ = options_.max_concurrent_inferences > 0
                      ? options_.max_concurrent_inferences
                      : int(std::max(1u, std::thread::hardware_concurrency()));
}

template <typename Work>
auto Api::with_inference_slot(Work&& work) const {
    {
        std::unique_lock<std::mutex> lock(slots_mutex_);
        slot_freed_.wait(lock, [this] { return free_slots_ > 0; });
        --free_slots_;
    }
    struct Release {
        const Api* api;
        ~Release() {
            {
                std::lock_guard<std::mutex> lock(api->slots_mutex_);
                ++api->free_slots_;
            }
            api->slot_freed_.notify_one();
        }
    } release{this};
    return work();
}

void Api::run_in_inference_slot(const std::function<void()>& work) const {
    with_inference_slot(work);
}

void Api::set_classifier(std::shared_ptr<const Classifier> classifier) {
    std::atomic_store(&classifier_, std::move(classifier));
}

Reply Api::welcome() const {
    return json_reply(200, json{{"message", "Welcome to the Handwritten Digit Recognizer API!"}});
}

Reply Api::health() const {
    return json_reply(200, json{{"status", "ok"}});
}

Reply Api::readiness() const {
    if (!ready())
        return json_reply(
            503, json{{"status", "loading"}, {"error", "the model is still loading"}, {"code", "not_ready"}});
    return json_reply(200, json{{"status", "ready"}});
}

Reply Api::model_info() const {
    const auto classifier = std::atomic_load(&classifier_);
    if (!classifier) return error_reply(503, "not_ready", "the model is still loading");
    return json_reply(200, classifier->info());
}

Reply Api::metrics_text() const {
    return Reply{200, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8"};
}

Reply Api::openapi() const {
    return Reply{200, std::string(openapi_document()), "application/json"};
}

namespace {

// Decodes and preprocesses one upload; an ImageError becomes its JSON error reply.
bool preprocess_upload(const Upload& upload, const DecodeOptions& pipeline, SingleDigitInput& input,
                       Reply& error) {
    if (upload.content.empty()) {
        error = error_reply(400, "empty_file", "the uploaded file is empty");
        return false;
    }
    try {
        input = prepare_digit(upload.content.data(), upload.content.size(), pipeline);
        return true;
    } catch (const ImageError& e) {
        error = error_reply(http_status(e.code()), e.code_name(), e.what());
        return false;
    }
}

const char* const kMissingFileMessage =
    "no image: send multipart/form-data with a field named 'file', or the image itself with an image/* "
    "Content-Type";

}  // namespace

Reply Api::predict(const std::vector<Upload>& uploads, bool debug) const {
    const auto file = std::find_if(uploads.begin(), uploads.end(), is_file_field);
    if (file == uploads.end()) return error_reply(400, "missing_file", kMissingFileMessage);
    SingleDigitInput input;
    Reply error;
    // The image is checked before readiness so that bad input gets its 4xx even while the model loads.
    if (!preprocess_upload(*file, options_.pipeline, input, error)) return error;
    const auto classifier = std::atomic_load(&classifier_);
    if (!classifier) return error_reply(503, "not_ready", "the model is still loading; retry shortly");
    // A single image runs at once on this thread: gating it behind a few slots only adds a wake-up to every
    // request and widens the latency spread (measured with bench/load.sh); batches are gated below.
    const Prediction prediction = classifier->predict(input.image);
    metrics_.record_prediction(prediction);
    json answer = prediction_json(prediction, debug ? &input.image : nullptr);
    answer["digit_count"] = settle_digit_count(input, *classifier);
    return json_reply(200, answer);
}

Reply Api::predict_batch(const std::vector<Upload>& uploads, bool debug) const {
    std::vector<const Upload*> files;
    for (const Upload& upload : uploads)
        if (is_file_field(upload)) files.push_back(&upload);
    if (files.empty()) return error_reply(400, "missing_file", kMissingFileMessage);
    if (files.size() > options_.max_batch_files) {
        return error_reply(413, "batch_too_large",
                           "a batch holds at most " + std::to_string(options_.max_batch_files) + " files");
    }
    // Each file gets its own result: a prediction, or the error that file alone would have had.
    std::vector<Image28> images;
    std::vector<SingleDigitInput> counted;
    std::vector<std::size_t> image_of_file(files.size(), SIZE_MAX);
    std::vector<Reply> errors(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        SingleDigitInput input;
        if (preprocess_upload(*files[i], options_.pipeline, input, errors[i])) {
            image_of_file[i] = images.size();
            images.push_back(input.image);
            counted.push_back(std::move(input));
        }
    }
    const auto classifier = std::atomic_load(&classifier_);
    if (!classifier) return error_reply(503, "not_ready", "the model is still loading; retry shortly");
    const std::vector<Prediction> predictions =
        images.empty() ? std::vector<Prediction>{}
                       : with_inference_slot([&] { return classifier->predict_batch(images); });
    json results = json::array();
    for (std::size_t i = 0; i < files.size(); ++i) {
        json result;
        if (image_of_file[i] != SIZE_MAX) {
            const Prediction& prediction = predictions.at(image_of_file[i]);
            metrics_.record_prediction(prediction);
            result = prediction_json(prediction, debug ? &images[image_of_file[i]] : nullptr);
            result["digit_count"] = settle_digit_count(counted[image_of_file[i]], *classifier);
        } else {
            result = json::parse(errors[i].body);
            result["status"] = errors[i].status;
        }
        result["filename"] = files[i]->filename;
        results.push_back(std::move(result));
    }
    return json_reply(200, json{{"results", std::move(results)}});
}

Reply Api::read(const std::vector<Upload>& uploads, bool debug) const {
    const auto file = std::find_if(uploads.begin(), uploads.end(), is_file_field);
    if (file == uploads.end()) return error_reply(400, "missing_file", kMissingFileMessage);
    if (file->content.empty()) return error_reply(400, "empty_file", "the uploaded file is empty");
    try {
        // Decoded and searched for ink before readiness is checked, so that a bad or blank file gets its 4xx
        // even while the model loads, as on /predict.
        Trace trace;
        find_digit_groups(decode_image(file->content.data(), file->content.size(), options_.pipeline), trace);
        const auto classifier = std::atomic_load(&classifier_);
        if (!classifier) return error_reply(503, "not_ready", "the model is still loading; retry shortly");
        const NumberReading reading = read_found_number(trace, *classifier);
        json digits = json::array();
        for (const ReadDigit& d : reading.digits) {
            metrics_.record_prediction(d.prediction);
            json entry = prediction_json(d.prediction, debug ? &d.input : nullptr);
            entry.erase("predicted_digit");
            entry["digit"] = d.prediction.digit;
            entry["box"] = box_json(d.source_box);
            digits.push_back(std::move(entry));
        }
        json ignored = json::array();
        for (const ReadDigit& d : reading.ignored) {
            metrics_.record_prediction(d.prediction);
            json entry = {{"box", box_json(d.source_box)},
                          {"reason", rejection_name(d.prediction.reason)},
                          {"best_guess", d.prediction.digit},
                          {"confidence", rounded(d.prediction.confidence)}};
            if (debug) entry["input"] = input_json(d.input);
            ignored.push_back(std::move(entry));
        }
        return json_reply(200, json{{"text", reading.text},
                                    {"confidence", rounded(reading.confidence)},
                                    {"digits", std::move(digits)},
                                    {"ignored", std::move(ignored)}});
    } catch (const ImageError& e) {
        return error_reply(http_status(e.code()), e.code_name(), e.what());
    }
}

// ---- Upload collection ---------------------------------------------------------------------------------

bool UploadCollector::begin_part(std::string field_name, std::string filename, std::string content_type) {
    if (field_name == "file") {
        if (file_parts_ >= max_files_) {
            // Keep reading (the body is bounded by max_bytes anyway) so that the answer is a clean 413.
            too_many_files_ = true;
        }
        ++file_parts_;
    }
    uploads_.push_back(Upload{std::move(field_name), std::move(filename), std::move(content_type), {}});
    return true;
}

void UploadCollector::begin_raw(std::string content_type) {
    uploads_.push_back(Upload{"file", "", std::move(content_type), {}});
}

bool UploadCollector::append(const char* data, std::size_t size) {
    total_bytes_ += size;
    if (total_bytes_ > max_bytes_) {
        over_size_ =
            true;  // only chunked bodies get here: a Content-Length over the limit is refused earlier
        return false;
    }
    if (uploads_.empty() || too_many_files_) return true;
    Upload& current = uploads_.back();
    if (current.field_name == "file") current.content.append(data, size);  // other fields are not kept
    return true;
}

Reply finish_upload(const Api& api, RouteKind kind, UploadCollector& collected, bool debug) {
    if (kind == RouteKind::batch && collected.too_many_files()) {
        return error_reply(
            413, "batch_too_large",
            "a batch holds at most " + std::to_string(api.options().max_batch_files) + " files");
    }
    // One-image routes ignore extra "file" parts.
    if (kind == RouteKind::batch) return api.predict_batch(collected.uploads(), debug);
    if (kind == RouteKind::read) return api.read(collected.uploads(), debug);
    return api.predict(collected.uploads(), debug);
}

// ---- Static UI files -----------------------------------------------------------------------------------

namespace {

const char* mime_type_for(const std::string& path) {
    static const std::pair<const char*, const char*> kTypes[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
        {".webmanifest", "application/manifest+json"}};
    const std::string lower = lowercase(path);
    for (const auto& [extension, type] : kTypes) {
        const std::size_t n = std::strlen(extension);
        if (lower.size() >= n && lower.compare(lower.size() - n, n, extension) == 0) return type;
    }
    return "application/octet-stream";
}

// realpath() as a string, or "" when the path does not exist.
std::string resolved_path(const std::string& path) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (resolved == nullptr) return {};
    std::string result(resolved);
    std::free(resolved);
    return result;
}

bool is_regular_file(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

bool read_whole_file(const std::string& path, std::string& content) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return false;
    std::ostringstream buffer;
    buffer << file.rdbuf();
    content = buffer.str();
    return bool(file) || file.eof();
}

// The host name the browser used, for the CSP's connect-src; only characters a host may hold.
std::string request_host_name(const httplib::Request& req) {
    std::string host = req.get_header_value("Host");
    if (!host.empty() && host[0] == '[') {
        host = host.substr(0, host.find(']') + 1);  // [IPv6]
    } else {
        host = host.substr(0, host.find(':'));
    }
    const bool clean =
        !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':';
        });
    return clean ? host : "localhost";
}

}  // namespace

// ---- App -----------------------------------------------------------------------------------------------

App::App(ServerOptions options)
    : options_(std::move(options)),
      api_(std::make_unique<Api>(options_)),
      api_server_(std::make_unique<PooledServer>()),
      ui_server_(std::make_unique<PooledServer>()) {
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

namespace {

// The access log: request threads append their line to a buffer and one thread writes it out every
// kFlushPeriod (or at once past kFlushBytes), so a busy server makes a few write(2) calls a second instead of
// one per request, each of them queueing on the log file's lock. Flushed when the program ends.
class AccessLog {
  public:
    static AccessLog& instance() {
        static AccessLog log;
        return log;
    }
    void append(const char* line, std::size_t size) {
        std::lock_guard<std::mutex> lock(mutex_);
        const bool was_empty = buffer_.empty();
        buffer_.append(line, size);
        if (was_empty || buffer_.size() >= kFlushBytes) wake_.notify_one();
    }
    ~AccessLog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        writer_.join();
    }

  private:
    static constexpr std::size_t kFlushBytes = 32 * 1024;
    static constexpr auto kFlushPeriod = std::chrono::milliseconds(20);

    AccessLog() : writer_([this] { run(); }) {}
    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            // Asleep while there is nothing to write; then up to kFlushPeriod for more lines to join the
            // first.
            wake_.wait(lock, [this] { return stopping_ || !buffer_.empty(); });
            wake_.wait_for(lock, kFlushPeriod, [this] { return stopping_ || buffer_.size() >= kFlushBytes; });
            std::string out;
            out.swap(buffer_);
            const bool last = stopping_;
            lock.unlock();
            for (std::size_t done = 0; done < out.size();) {
                const ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
                if (n <= 0) break;  // nowhere to log to: drop the lines rather than stall
                done += std::size_t(n);
            }
            if (last) return;
            lock.lock();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::string buffer_;
    bool stopping_ = false;
    std::thread writer_;
};

}  // namespace

const std::vector<Route>& api_routes() {
    static const std::vector<Route> kRoutes = {
        {"GET", "/", RouteKind::get, &Api::welcome, false, false},
        {"GET", "/healthz", RouteKind::get, &Api::health, false, true},
        {"GET", "/readyz", RouteKind::get, &Api::readiness, false, true},
        {"GET", "/model", RouteKind::get, &Api::model_info, false, true},
        {"GET", "/metrics", RouteKind::get, &Api::metrics_text, false, true},
        {"POST", "/predict", RouteKind::predict, nullptr, false, true},
        {"POST", "/predict/batch", RouteKind::batch, nullptr, true, true},
        {"POST", "/read", RouteKind::read, nullptr, false, true},
        {"GET", "/openapi.json", RouteKind::get, &Api::openapi, false, true},
        // The Open Inference Protocol (inference_protocol.cpp). Inference bodies over max_buffered_body go
        // to the heavy workers by their size, as uploads do.
        {"GET", "/v2/health/live", RouteKind::get, &Api::v2_live, false, true},
        {"GET", "/v2/health/ready", RouteKind::get, &Api::v2_ready, false, true},
        {"GET", "/v2", RouteKind::get, &Api::v2_server_metadata, false, true},
        {"GET", "/v2/models/digitnet", RouteKind::get, &Api::v2_model_metadata, false, true},
        {"GET", "/v2/models/digitnet/ready", RouteKind::get, &Api::v2_model_ready, false, true},
        {"POST", "/v2/models/digitnet/infer", RouteKind::infer, nullptr, false, true},
    };
    return kRoutes;
}

namespace {

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

}  // namespace

void App::configure_api_server(httplib::Server& server) {
    configure_common(server, options_, &api_->metrics());
    // Browsers call the API from the UI's origin (port 3000, or a dev server): allow any origin; the API
    // holds no cookies or credentials to protect.
    server.set_default_headers({{"Access-Control-Allow-Origin", "*"},
                                {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                                {"Access-Control-Allow-Headers", "Content-Type"},
                                {"Access-Control-Max-Age", "86400"},
                                {"X-Content-Type-Options", "nosniff"}});
    configure_uploads(server, options_.max_upload_bytes);

    register_api_routes(server, false);
    // CORS preflight, for any path.
    server.Options(".*", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
}

namespace {

// httplib matches paths as regular expressions: a route's path, matched as written.
std::string exact_path_pattern(const std::string& path) {
    std::string pattern;
    for (char c : path) {
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

void App::register_api_routes(httplib::Server& server, bool ui_port) {
    Api& api = *api_;
    const ServerOptions& options = options_;
    auto upload = [&api, &options](RouteKind kind) {
        return [&api, &options, kind](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
            const std::size_t max_files = kind == RouteKind::batch ? options.max_batch_files : 1;
            UploadCollector collector(options.max_upload_bytes, max_files);
            bool complete = true;
            if (!request_has_body(req)) {
                // Nothing to read: answered below as a missing file.
            } else if (req.is_multipart_form_data()) {
                complete = reader(
                    [&](const httplib::MultipartFormData& part) {
                        return collector.begin_part(part.name, part.filename, part.content_type);
                    },
                    [&](const char* data, std::size_t size) { return collector.append(data, size); });
            } else {
                const std::string content_type = lowercase(req.get_header_value("Content-Type"));
                const bool image_body = starts_with(content_type, "image/") ||
                                        starts_with(content_type, "application/octet-stream");
                if (!image_body && (declared_length(req) > 0 || !req.has_header("Content-Length"))) {
                    drain_body(req, reader);
                    apply_reply(
                        error_reply(415, "unsupported_media_type",
                                    "send multipart/form-data with a 'file' field, or an image/* body"),
                        res);
                    return;
                }
                if (image_body) collector.begin_raw(content_type);
                complete =
                    reader([&](const char* data, std::size_t size) { return collector.append(data, size); });
            }
            Reply reply;
            if (!complete) {
                if (collector.over_size() || res.status == 413) {
                    reply = error_reply(
                        413, "payload_too_large",
                        "the upload is larger than " + std::to_string(options.max_upload_bytes) + " bytes");
                } else if (req.is_multipart_form_data()) {
                    reply =
                        error_reply(400, "malformed_multipart", "the multipart/form-data body is malformed");
                } else {
                    reply = error_reply(400, "bad_request", "the request body could not be read");
                }
            } else {
                reply = finish_upload(api, kind, collector, debug_requested(req));
            }
            apply_reply(reply, res);
        };
    };
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
            server.Post(pattern, inference_handler(api, options.max_upload_bytes));
        } else {
            server.Post(pattern, upload(route.kind));
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
        server.Delete(pattern, refuse_with_body);
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

void App::configure_ui_server(httplib::Server& server) {
    configure_common(server, options_, &api_->metrics());
    server.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                                {"Referrer-Policy", "no-referrer"},
                                {"X-Frame-Options", "DENY"}});
    configure_uploads(server, options_.max_upload_bytes);
    register_api_routes(server, true);
    const std::string ui_dir = options_.ui_dir;
    const int api_port = options_.port;
    int* bound_api_port = &api_port_;
    auto serve = [ui_dir, api_port, bound_api_port](const httplib::Request& req, httplib::Response& res) {
        const std::string root = resolved_path(ui_dir);
        if (root.empty()) {
            apply_reply(
                error_reply(404, "ui_not_found",
                            "the web UI is not built: folder '" + ui_dir +
                                "' is missing (run `make frontend`); the API still answers on its own port"),
                res);
            return;
        }
        // req.path is already percent-decoded, so "%2e%2e" arrives here as "..": refuse any such segment
        // outright, then make sure the resolved file (symlinks followed) is still inside the folder.
        const std::string& path = req.path;
        const bool suspicious = path.find('\0') != std::string::npos ||
                                path.find('\\') != std::string::npos ||
                                ("/" + path + "/").find("/../") != std::string::npos;
        if (suspicious) {
            apply_reply(error_reply(404, "not_found", "no such file"), res);
            return;
        }
        std::string file = resolved_path(root + "/" + path);
        const bool inside = !file.empty() && (file == root || starts_with(file, (root + "/").c_str()));
        if (!file.empty() && !inside) {
            apply_reply(error_reply(404, "not_found", "no such file"), res);
            return;
        }
        if (!inside || !is_regular_file(file)) {
            // A directory (no listings) or an app route: the single-page app's index.html. A missing asset
            // (the last segment has an extension) is a plain 404, so that a broken build shows as one.
            const std::string last_segment = path.substr(path.find_last_of('/') + 1);
            if (file.empty() && last_segment.find('.') != std::string::npos) {
                apply_reply(error_reply(404, "not_found", "no such file"), res);
                return;
            }
            file = resolved_path(root + "/index.html");
            if (file.empty() || !starts_with(file, (root + "/").c_str()) || !is_regular_file(file)) {
                apply_reply(error_reply(404, "ui_not_found", "the web UI has no index.html"), res);
                return;
            }
        }
        std::string content;
        if (!read_whole_file(file, content)) {
            apply_reply(error_reply(404, "not_found", "no such file"), res);
            return;
        }
        const int port = *bound_api_port > 0 ? *bound_api_port : api_port;
        const std::string api_origin = "http://" + request_host_name(req) + ":" + std::to_string(port);
        res.set_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' " +
                api_origin + " http://localhost:" + std::to_string(port) +
                " http://127.0.0.1:" + std::to_string(port) +
                "; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'");
        const bool is_index = file.size() >= 11 && file.compare(file.size() - 11, 11, "/index.html") == 0;
        res.set_header("Cache-Control", is_index ? "no-cache" : "public, max-age=3600");
        res.status = 200;
        res.set_content(std::move(content), mime_type_for(file));
    };
    server.Get(".*", serve);
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
}

void App::load_model() {
    api_->set_classifier(
        std::make_shared<const Classifier>(options_.model_path, options_.threads + options_.heavy_threads));
}

void App::stop() {
    request_stop();
    wait();
}

void App::request_stop() {
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
    api_server_->join_connections();
    ui_server_->join_connections();
}

}  // namespace digit
