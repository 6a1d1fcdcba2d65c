// The Open Inference Protocol (v2), REST flavour, as KServe and Triton speak it, beside the server's own
// routes: health, server and model metadata, and inference on tensors. One model, kV2ModelName, version 1.
//
// The inference request's tensor is FP32 of shape [N,1,28,28] or [N,784], row-major, flat or nested, and
// already normalised as the model expects ((x - mean) / std with the mean and std of GET /model): the
// protocol carries tensors, not images, so the server does no image work and no normalisation here, and
// feeds the values to the network as they are (Classifier::predict_normalised). The answer is the FP32
// tensor "probabilities" of shape [N,classes].
//
// Errors are the protocol's {"error": "..."} with status 400 (404 for a model we do not serve, 503 while
// the model loads), plus our stable "code".
#include <charconv>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "answers.hpp"
#include "app.hpp"

#ifndef DIGIT_SERVER_VERSION
#define DIGIT_SERVER_VERSION "unknown"
#endif

namespace digit {
namespace {

using json = nlohmann::json;

constexpr const char* kServerName = "digit-server";
constexpr const char* kModelVersion = "1";
constexpr const char* kPlatform = "libcnn";
constexpr const char* kInputName = "input";
constexpr const char* kOutputName = "probabilities";

// Nesting a request needs: the body, "inputs", the tensor, "data" and its four levels for [N,1,28,28].
constexpr int kMaxDepth = 16;
// Values a request may hold beyond its tensor's (names, shape, id, parameters).
constexpr std::size_t kSpareValues = 1024;

Reply bad_request(const std::string& code, const std::string& message) {
    return error_reply(400, code, message);
}

// What an error message may quote of a client's text: printable ASCII, bounded.
std::string quote_for_message(const std::string& text, std::size_t limit = 64) {
    std::string out = "'";
    for (char c : text.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out + (text.size() > limit ? "...'" : "'");
}

// A client's JSON value for an error message: a string quoted, anything else by its JSON text, bounded.
std::string described(const json& value) {
    if (value.is_string()) return quote_for_message(value.get<std::string>());
    if (value.is_null()) return "(none)";
    std::string text;
    for (char c : value.dump().substr(0, 64)) text += (c >= 0x20 && c < 0x7f) ? c : '?';
    return text.size() == 64 ? text + "..." : text;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? "," : "") + std::to_string(shape[i]);
    return text + "]";
}

// An FP32 value as JSON: the shortest decimal that reads back as the same float (0.9981, not
// 0.99809998273849487).
json fp32(float value) {
    char text[32];
    const auto written = std::to_chars(text, text + sizeof text, value);
    double shortest = value;
    std::from_chars(text, written.ptr, shortest);
    return shortest;
}

// Stops the parser at once (thrown from its callback).
struct ParseLimit {
    Reply reply;
};

// The request body as JSON, read with bounds: nesting (a deeply nested body must not recurse without end)
// and the count of values (a body of a million small numbers must not build a million-node document when
// the largest honest request holds max_batch inputs of 784 values).
json parse_bounded(const std::string& body, std::size_t max_values, std::size_t max_batch) {
    std::size_t values = 0;
    const json::parser_callback_t check = [&](int depth, json::parse_event_t event, json&) {
        if ((event == json::parse_event_t::array_start || event == json::parse_event_t::object_start) &&
            depth >= kMaxDepth) {
            throw ParseLimit{bad_request("invalid_request", "the request is nested more than " +
                                                                std::to_string(kMaxDepth) + " levels deep")};
        }
        if (event == json::parse_event_t::value && ++values > max_values) {
            throw ParseLimit{bad_request("batch_too_large", "the request holds more than " +
                                                                std::to_string(max_values) +
                                                                " values: a batch holds at most " +
                                                                std::to_string(max_batch) + " images")};
        }
        return true;
    };
    try {
        return json::parse(body, check);
    } catch (const json::parse_error& e) {
        // Not e.what(): it quotes the bytes it choked on, which need not be UTF-8.
        throw ParseLimit{bad_request(
            "malformed_json", body.empty()
                                  ? "the body is empty: send the inference request as JSON"
                                  : "the body is not valid JSON (at byte " + std::to_string(e.byte) + ")")};
    }
}

// The tensor's values, flat in row-major order, from data given flat or nested. Iterative: the nesting is
// bounded by parse_bounded, but a stack of our own costs nothing. Stops past `expected` values.
bool flatten_fp32(const json& data, std::size_t expected, std::vector<float>& out, Reply& error) {
    std::vector<std::pair<const json*, std::size_t>> stack = {{&data, 0}};
    while (!stack.empty()) {
        auto& [array, next] = stack.back();
        if (next == array->size()) {
            stack.pop_back();
            continue;
        }
        const json& item = (*array)[next++];
        if (item.is_array()) {
            stack.emplace_back(&item, 0);
            continue;
        }
        if (!item.is_number()) {
            error = bad_request("invalid_data", "data holds " + std::string(item.type_name()) +
                                                    " at position " + std::to_string(out.size()) +
                                                    ": FP32 data holds numbers only");
            return false;
        }
        const float value = item.get<float>();
        if (!std::isfinite(value)) {
            error = bad_request("invalid_data", "the value at position " + std::to_string(out.size()) +
                                                    " is out of FP32's range");
            return false;
        }
        if (out.size() == expected) {
            out.push_back(value);  // one too many is enough to tell the mismatch
            return true;
        }
        out.push_back(value);
    }
    return true;
}

}  // namespace

Reply Api::v2_live() const {
    return json_reply(200, json{{"live", true}});
}

Reply Api::v2_ready() const {
    if (!ready()) {
        json body = error_json("not_ready", "the model is still loading");
        body["ready"] = false;
        return json_reply(503, body);
    }
    return json_reply(200, json{{"ready", true}});
}

Reply Api::v2_server_metadata() const {
    return json_reply(
        200, json{{"name", kServerName}, {"version", DIGIT_SERVER_VERSION}, {"extensions", json::array()}});
}

Reply Api::v2_model_metadata() const {
    const auto classifier = std::atomic_load(&classifier_);
    if (!classifier) return error_reply(503, "not_ready", "the model is still loading");
    const json input = {
        {"name", kInputName}, {"datatype", "FP32"}, {"shape", {-1, 1, kImageSide, kImageSide}}};
    const json output = {{"name", kOutputName}, {"datatype", "FP32"}, {"shape", {-1, classifier->classes()}}};
    return json_reply(200, json{{"name", kV2ModelName},
                                {"versions", {kModelVersion}},
                                {"platform", kPlatform},
                                {"inputs", {input}},
                                {"outputs", {output}}});
}

Reply Api::v2_model_ready() const {
    if (!ready()) {
        json body = error_json("not_ready", "the model is still loading");
        body["name"] = kV2ModelName;
        body["ready"] = false;
        return json_reply(503, body);
    }
    return json_reply(200, json{{"name", kV2ModelName}, {"ready", true}});
}

Reply Api::v2_unknown_model(const std::string& path) const {
    const std::string prefix = "/v2/models/";
    std::string name = path.substr(std::min(path.size(), prefix.size()));
    name = name.substr(0, name.find('/'));
    return error_reply(
        404, "model_not_found",
        "no model named " + quote_for_message(name) + ": this server serves '" + kV2ModelName + "'");
}

Reply Api::v2_infer(const std::string& body) const {
    const std::size_t max_batch = options_.max_batch_files;
    json request;
    try {
        request = parse_bounded(body, max_batch * kImagePixels + kSpareValues, max_batch);
    } catch (const ParseLimit& limit) {
        return limit.reply;
    }
    if (!request.is_object())
        return bad_request("invalid_request", "the body must be a JSON object with \"inputs\"");
    const auto id = request.find("id");
    if (id != request.end() && !id->is_string())
        return bad_request("invalid_request", "\"id\" must be a string");

    const auto inputs = request.find("inputs");
    if (inputs == request.end() || !inputs->is_array() || inputs->empty())
        return bad_request("invalid_request", "\"inputs\" must be a list holding the tensor \"input\"");
    if (inputs->size() != 1) {
        return bad_request(
            "invalid_request",
            "the model takes one input tensor, \"input\"; the request has " + std::to_string(inputs->size()));
    }
    const json& input = inputs->front();
    if (!input.is_object() || !input.contains("name") || !input.contains("datatype") ||
        !input.contains("shape") || !input.contains("data")) {
        return bad_request("invalid_request",
                           "an input tensor is an object with name, shape, datatype and data");
    }
    if (!input["name"].is_string() || input["name"] != kInputName) {
        return bad_request("unknown_input", "the model has no input " + described(input["name"]) +
                                                ": its input is '" + kInputName + "'");
    }
    if (!input["datatype"].is_string() || input["datatype"] != "FP32") {
        return bad_request("unsupported_datatype", "datatype " + described(input["datatype"]) +
                                                       " is not supported: the input is FP32");
    }

    // The shape: [N,1,28,28] or [N,784].
    const json& shape_json = input["shape"];
    std::vector<std::int64_t> shape;
    bool shape_ok = shape_json.is_array() && (shape_json.size() == 2 || shape_json.size() == 4);
    for (const json& dim : shape_json.is_array() ? shape_json : json::array()) {
        shape_ok = shape_ok && dim.is_number_integer() && dim.get<std::int64_t>() >= 0;
        if (shape_ok) shape.push_back(dim.get<std::int64_t>());
    }
    const bool flat = shape_ok && shape.size() == 2 && shape[1] == kImagePixels;
    const bool planes =
        shape_ok && shape.size() == 4 && shape[1] == 1 && shape[2] == kImageSide && shape[3] == kImageSide;
    if (!flat && !planes) {
        return bad_request("invalid_shape",
                           "shape " + (shape_ok ? shape_text(shape) : described(shape_json)) +
                               " is not [N,1," + std::to_string(kImageSide) + "," +
                               std::to_string(kImageSide) + "] or [N," + std::to_string(kImagePixels) + "]");
    }
    const std::int64_t count = shape[0];
    if (count < 1) return bad_request("invalid_shape", "shape " + shape_text(shape) + " holds no image");
    if (std::uint64_t(count) > max_batch) {
        return bad_request("batch_too_large", "a batch holds at most " + std::to_string(max_batch) +
                                                  " images; the shape asks for " + std::to_string(count));
    }

    const std::size_t expected = std::size_t(count) * kImagePixels;
    std::vector<float> values;
    values.reserve(expected);
    Reply error;
    const json& data = input["data"];
    if (!data.is_array())
        return bad_request("invalid_data", "data must be a list of numbers (flat or nested, row-major)");
    if (!flatten_fp32(data, expected, values, error)) return error;
    if (values.size() != expected) {
        return bad_request("shape_mismatch",
                           "shape " + shape_text(shape) + " needs " + std::to_string(expected) +
                               " values; data holds " +
                               (values.size() > expected ? "more" : std::to_string(values.size())));
    }

    const auto outputs = request.find("outputs");
    if (outputs != request.end()) {
        if (!outputs->is_array()) return bad_request("invalid_request", "\"outputs\" must be a list");
        for (const json& output : *outputs) {
            const json name = output.is_object() ? output.value("name", json()) : json();
            if (name != kOutputName) {
                return bad_request("unknown_output", "the model has no output " + described(name) +
                                                         ": its output is '" + kOutputName + "'");
            }
        }
    }

    const auto classifier = std::atomic_load(&classifier_);
    if (!classifier) return error_reply(503, "not_ready", "the model is still loading; retry shortly");
    std::vector<Prediction> predictions;
    run_in_inference_slot(
        [&] { predictions = classifier->predict_normalised(values.data(), std::size_t(count)); });

    const int classes = classifier->classes();
    json probabilities = json::array();
    for (const Prediction& prediction : predictions) {
        metrics_.record_prediction(prediction);
        for (float p : prediction.probabilities) probabilities.push_back(fp32(p));
    }
    json answer = {{"model_name", kV2ModelName},
                   {"model_version", kModelVersion},
                   {"outputs",
                    {{{"name", kOutputName},
                      {"datatype", "FP32"},
                      {"shape", {count, classes}},
                      {"data", std::move(probabilities)}}}}};
    if (id != request.end()) answer["id"] = *id;
    return json_reply(200, answer);
}

}  // namespace digit
