#include "answers.hpp"

#include "text_reading.hpp"

#include <httplib.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "app.hpp"
#include "numbers.hpp"

namespace digit {

using json = nlohmann::json;

json error_json(const std::string& code, const std::string& message) {
    return json{{"error", message}, {"code", code}};
}

std::string error_body(const std::string& code, const std::string& message) {
    return error_json(code, message).dump();
}

Reply error_reply(int status, const std::string& code, const std::string& message) {
    return Reply{status, error_body(code, message), "application/json", {}};
}

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

Reply json_reply(int status, const json& body) {
    return Reply{status, body.dump(), "application/json", {}};
}

double rounded(double value, double scale) {
    return std::round(value * scale) / scale;
}

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

json box_json(const Box& box) {
    return {box.x0, box.y0, box.width(), box.height()};
}

json prediction_json(const Prediction& prediction, const Image28* input) {
    json probabilities = json::array();
    for (float p : prediction.probabilities) probabilities.push_back(rounded(p));
    // The share the answer's confidence leaves to "not a digit": confidence = probabilities[digit] x (1 -
    // this), so that the ten digits' joint chances and this one sum to 1 and the chosen digit's is the
    // confidence (the page draws them so, one figure per thing). 0 for a model without that output.
    const float best =
        prediction.probabilities.empty() ? 0.0f : prediction.probabilities[std::size_t(prediction.digit)];
    const float not_a_digit =
        best > 0.0f ? std::clamp(1.0f - prediction.confidence / best, 0.0f, 1.0f) : 0.0f;
    json answer = {{"predicted_digit", prediction.digit},
                   {"confidence", rounded(prediction.confidence)},
                   {"probabilities", std::move(probabilities)},
                   {"not_a_digit_probability", rounded(not_a_digit)},
                   {"is_digit", prediction.is_digit}};
    if (!prediction.is_digit) answer["reason"] = rejection_name(prediction.reason);
    if (input != nullptr) answer["input"] = input_json(*input);
    return answer;
}

json text_json(const TextReading& reading, bool debug) {
    json lines = json::array();
    for (const ReadLine& line : reading.lines) {
        json characters = json::array();
        for (const ReadCharacter& c : line.characters)
            characters.push_back({{"char", std::string(1, c.ch)},
                                  {"confidence", rounded(c.confidence)},
                                  {"box", box_json(c.source_box)}});
        lines.push_back({{"text", line.text},
                         {"confidence", rounded(line.confidence)},
                         {"box", box_json(line.source_box)},
                         {"characters", std::move(characters)}});
    }
    json digits = json::array();
    for (const ReadDigit& d : reading.digits) {
        json entry = prediction_json(d.prediction, debug ? &d.input : nullptr);
        entry.erase("predicted_digit");
        entry["digit"] = d.prediction.digit;
        entry["box"] = box_json(d.source_box);
        digits.push_back(std::move(entry));
    }
    json ignored = json::array();
    for (const ReadDigit& d : reading.ignored) {
        json entry = {{"box", box_json(d.source_box)}, {"reason", rejection_name(d.prediction.reason)}};
        if (!d.prediction.probabilities.empty()) {
            entry["best_guess"] = d.prediction.digit;
            entry["confidence"] = rounded(d.prediction.confidence);
        }
        if (debug) entry["input"] = input_json(d.input);
        ignored.push_back(std::move(entry));
    }
    return json{{"text", reading.text},
                {"confidence", rounded(reading.confidence)},
                {"orientation", reading.orientation},
                {"lines", std::move(lines)},
                {"digits", std::move(digits)},
                {"ignored", std::move(ignored)}};
}

void apply_reply(const Reply& reply, httplib::Response& res) {
    res.status = reply.status;
    for (const auto& [name, value] : reply.headers) res.set_header(name.c_str(), value);
    if (reply.status != 204) res.set_content(reply.body, reply.content_type.c_str());
}

}  // namespace digit
