// Corrections: POST /feedback keeps one (with consent) through the feedback store, DELETE /feedback/{id}
// deletes it with its token, and the operator's routes list, export and reload. The upload is decoded and
// read as /predict (kind "digit") or /read (kind "number") would, so that what is kept is the 28x28 the model
// saw; an upload those routes would refuse is refused the same way and nothing is kept.
#include <algorithm>
#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

#include "answers.hpp"
#include "app.hpp"
#include "numbers.hpp"

namespace digit {
namespace {

using json = nlohmann::json;

const Upload* field(const std::vector<Upload>& parts, const char* name) {
    for (const Upload& part : parts)
        if (part.field_name == name) return &part;
    return nullptr;
}

std::string field_text(const std::vector<Upload>& parts, const char* name) {
    const Upload* part = field(parts, name);
    return part ? part->content : std::string();
}

bool printable_ascii(const std::string& text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// A number's text as a person would correct it: the characters of numbers, lines apart, at most 64.
bool valid_number_text(const std::string& text) {
    if (text.empty() || text.size() > 64) return false;
    bool digit = false;
    for (char c : text) {
        if (c >= '0' && c <= '9')
            digit = true;
        else if (!std::strchr(".,-/: \n", c))
            return false;
    }
    return digit;
}

void append_input(const Image28& input, std::vector<std::uint8_t>& out) {
    for (float v : input) out.push_back(std::uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)));
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Reply store_error_reply(const feedback::StoreError& e) {
    if (e.kind() == feedback::StoreError::Kind::full)
        return error_reply(507, "storage_full", "no more corrections can be kept now");
    Reply reply =
        error_reply(503, "storage_unavailable", "the feedback database is unreachable; retry shortly");
    reply.headers.emplace_back("Retry-After", "5");
    return reply;
}

std::int64_t query_integer(const RequestInfo& request, const char* name, std::int64_t fallback,
                           std::int64_t lo, std::int64_t hi) {
    auto it = request.query.find(name);
    if (it == request.query.end()) return fallback;
    char* end = nullptr;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0') return fallback;
    return std::clamp<std::int64_t>(v, lo, hi);
}

json summary_json(const feedback::Summary& s) {
    return {{"id", s.id},
            {"kind", s.kind},
            {"label", s.label},
            {"predicted", s.predicted},
            {"model_version", s.model_version},
            {"upload_type", s.upload_type},
            {"upload_bytes", s.upload_bytes},
            {"input_count", s.input_count},
            {"created_at", s.created_at}};
}

const char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const std::uint8_t* data, std::size_t size) {
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    for (std::size_t i = 0; i < size; i += 3) {
        const std::uint32_t n = std::uint32_t(data[i]) << 16 |
                                (i + 1 < size ? std::uint32_t(data[i + 1]) << 8 : 0) |
                                (i + 2 < size ? data[i + 2] : 0);
        out += kBase64[n >> 18 & 63];
        out += kBase64[n >> 12 & 63];
        out += i + 1 < size ? kBase64[n >> 6 & 63] : '=';
        out += i + 2 < size ? kBase64[n & 63] : '=';
    }
    return out;
}

}  // namespace

bool Api::admin_refused(const RequestInfo& request, Reply& refusal) const {
    if (admin_token_.empty()) {
        refusal = error_reply(404, "not_found", "the operator's routes are off (no --admin-token-file)");
        return true;
    }
    const std::string prefix = "Bearer ";
    const bool bearer = request.authorization.compare(0, prefix.size(), prefix) == 0;
    if (!bearer ||
        !feedback::constant_time_equal(request.authorization.substr(prefix.size()), admin_token_)) {
        refusal = error_reply(401, "unauthorized", "this route needs the operator's bearer token");
        refusal.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"digit-server\"");
        return true;
    }
    return false;
}

Reply Api::feedback(const std::vector<Upload>& parts, const RequestInfo& request) const {
    if (!store_) return error_reply(404, "not_found", "corrections are not kept here (no --feedback-db)");
    if (const int wait = feedback_limiter_.take(request.client)) {
        metrics_.record_feedback(Metrics::FeedbackResult::rate_limited);
        Reply reply = error_reply(429, "too_many_requests",
                                  "too many corrections; retry in " + std::to_string(wait) + " s");
        reply.headers.emplace_back("Retry-After", std::to_string(wait));
        return reply;
    }
    auto refuse = [&](const char* code, const std::string& message) {
        metrics_.record_feedback(Metrics::FeedbackResult::refused);
        return error_reply(400, code, message);
    };
    if (field_text(parts, "consent") != "true")
        return refuse("consent_required", "a correction is kept only with consent=true");
    feedback::Correction c;
    c.kind = field_text(parts, "kind");
    if (c.kind.empty()) c.kind = "digit";
    if (c.kind != "digit" && c.kind != "number") return refuse("bad_request", "kind must be digit or number");
    c.label = field_text(parts, "label");
    // A browser's form sends each line break of a field as CRLF: a number of two lines is kept with LF.
    for (std::size_t at; (at = c.label.find("\r\n")) != std::string::npos;) c.label.erase(at, 1);
    if (c.kind == "digit" ? !(c.label.size() == 1 && c.label[0] >= '0' && c.label[0] <= '9')
                          : !valid_number_text(c.label))
        return refuse("bad_label", c.kind == "digit"
                                       ? "label must be one digit, 0-9"
                                       : "label must be the number's text (digits and . , - / :)");
    c.predicted = field_text(parts, "predicted");
    c.model_version = field_text(parts, "model_version");
    if (c.predicted.size() > 64 || c.model_version.size() > 128 || !printable_ascii(c.predicted) ||
        !printable_ascii(c.model_version))
        return refuse("bad_request", "predicted and model_version must be short printable text");
    const Upload* file = field(parts, "file");
    if (!file)
        return refuse("missing_file",
                      "no image: send the image the model read as a multipart field named 'file'");
    if (file->content.empty()) return refuse("empty_file", "the uploaded file is empty");

    // What the model saw, by the route the correction is about.
    try {
        if (c.kind == "digit") {
            const SingleDigitInput input =
                prepare_digit(file->content.data(), file->content.size(), options_.pipeline);
            append_input(input.image, c.inputs);
        } else {
            Trace trace;
            find_digit_groups(decode_image(file->content.data(), file->content.size(), options_.pipeline),
                              trace);
            const auto classifier = std::atomic_load(&classifier_);
            if (!classifier)
                return error_reply(503, "not_ready", "the model is still loading; retry shortly");
            const NumberReading reading = read_found_number(trace, *classifier);
            for (const ReadDigit& d : reading.digits) append_input(d.input, c.inputs);
        }
    } catch (const ImageError& e) {
        metrics_.record_feedback(Metrics::FeedbackResult::refused);
        return error_reply(http_status(e.code()), e.code_name(), e.what());
    }
    if (file->content.size() <= options_.feedback_max_upload_bytes) {
        c.upload = file->content;
        c.upload_type = file->content_type.substr(0, 100);
    }
    c.id = feedback::random_hex_id();
    c.delete_token = feedback::random_hex_id();
    c.created_at = now_seconds();
    try {
        store_->add(c);
    } catch (const feedback::StoreError& e) {
        metrics_.record_feedback(e.kind() == feedback::StoreError::Kind::full
                                     ? Metrics::FeedbackResult::full
                                     : Metrics::FeedbackResult::unavailable);
        return store_error_reply(e);
    }
    metrics_.record_feedback(Metrics::FeedbackResult::stored);
    return json_reply(201, json{{"id", c.id}, {"delete_token", c.delete_token}});
}

Reply Api::feedback_delete(const RequestInfo& request) const {
    if (!store_) return error_reply(404, "not_found", "corrections are not kept here (no --feedback-db)");
    const std::string prefix = "/feedback/";
    const std::string id = request.path.substr(std::min(request.path.size(), prefix.size()));
    if (request.delete_token.empty()) {
        Reply reply =
            error_reply(401, "unauthorized", "send the correction's delete token in X-Delete-Token");
        reply.headers.emplace_back("WWW-Authenticate", "X-Delete-Token");
        return reply;
    }
    try {
        if (!store_->remove(id, request.delete_token))
            return error_reply(404, "not_found", "no correction with this id and delete token");
    } catch (const feedback::StoreError& e) {
        return store_error_reply(e);
    }
    return Reply{204, "", "application/json", {}};
}

Reply Api::feedback_list(const RequestInfo& request) const {
    Reply refusal;
    if (admin_refused(request, refusal)) return refusal;
    if (!store_) return error_reply(404, "not_found", "corrections are not kept here (no --feedback-db)");
    try {
        const std::int64_t limit = query_integer(request, "limit", 100, 1, 1000);
        const std::int64_t offset = query_integer(request, "offset", 0, 0, std::int64_t(1) << 40);
        json rows = json::array();
        for (const feedback::Summary& s : store_->list(limit, offset)) rows.push_back(summary_json(s));
        const feedback::Usage usage = store_->usage();
        return json_reply(200, json{{"corrections", std::move(rows)},
                                    {"total", usage.rows},
                                    {"bytes", usage.bytes},
                                    {"engine", store_->engine()}});
    } catch (const feedback::StoreError& e) {
        return store_error_reply(e);
    }
}

Reply Api::feedback_export(const RequestInfo& request) const {
    Reply refusal;
    if (admin_refused(request, refusal)) return refusal;
    if (!store_) return error_reply(404, "not_found", "corrections are not kept here (no --feedback-db)");
    // Oldest first, a page at a time (the 28x28 inputs as base64 of 784 bytes each, 255 = ink), so that an
    // export of a large store is many bounded answers.
    const std::int64_t limit = query_integer(request, "limit", 200, 1, 1000);
    const std::int64_t offset = query_integer(request, "offset", 0, 0, std::int64_t(1) << 40);
    try {
        json rows = json::array();
        store_->each(
            [&](const feedback::Correction& c) {
                json inputs = json::array();
                for (std::size_t i = 0; i < c.input_count(); ++i)
                    inputs.push_back(base64(c.inputs.data() + i * 784, 784));
                rows.push_back({{"id", c.id},
                                {"kind", c.kind},
                                {"label", c.label},
                                {"predicted", c.predicted},
                                {"model_version", c.model_version},
                                {"created_at", c.created_at},
                                {"inputs", std::move(inputs)}});
            },
            limit, offset, false);
        return json_reply(
            200, json{{"corrections", std::move(rows)}, {"offset", offset}, {"total", store_->usage().rows}});
    } catch (const feedback::StoreError& e) {
        return store_error_reply(e);
    }
}

Reply Api::admin_reload(const RequestInfo& request) const {
    Reply refusal;
    if (admin_refused(request, refusal)) return refusal;
    std::string problem;
    if (!reload_ || !reload_(problem))
        return error_reply(422, "reload_failed",
                           "the model files were refused, the old model serves on: " + problem);
    const auto classifier = std::atomic_load(&classifier_);
    return json_reply(200,
                      json{{"reloaded", true}, {"model_version", classifier ? classifier->version() : ""}});
}

}  // namespace digit
