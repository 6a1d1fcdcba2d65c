// Corrections over real HTTP: POST /feedback kept only with consent, deleted only with its token, the rate
// limit, the caps, a database that cannot be reached, the operator's routes, retention at start, and the
// model reloaded without a request dropped (SIGHUP, POST /admin/reload), a bad file refused.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "server_process.hpp"
#include "store.hpp"
#include "test_images.hpp"

using json = nlohmann::json;
using namespace server_test;
namespace fs = std::filesystem;

namespace {

const char kToken[] = "operator-token-0123456789";

// A folder of its own per test, removed at the end.
struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& name)
        : path(fs::temp_directory_path() / ("digit_feedback_" + name + "_" + std::to_string(::getpid()))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string token_file(const TempDir& dir) {
    std::ofstream(dir.file("token")) << kToken << "\n";
    return dir.file("token");
}

std::string digit_png(int digit) {
    testimg::Rgba canvas(280, 280);
    testimg::draw_digit(canvas, digit, 80, 40, 120, 200, 18, {0, 0, 0, 255});
    return testimg::encode_png_rgba(canvas);
}

httplib::Result send_correction(httplib::Client& c, const std::string& png, const std::string& label,
                                const std::string& consent = "true", const std::string& kind = "digit") {
    httplib::MultipartFormDataItems items{{"file", png, "digit.png", "image/png"},
                                          {"label", label, "", ""},
                                          {"kind", kind, "", ""},
                                          {"predicted", "7", "", ""},
                                          {"model_version", "digitnet.cnn@00000000", "", ""}};
    if (!consent.empty()) items.push_back({"consent", consent, "", ""});
    return c.Post("/feedback", items);
}

json listed(httplib::Client& c) {
    auto r = c.Get("/feedback", {{"Authorization", std::string("Bearer ") + kToken}});
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
}

long metric(httplib::Client& c, const std::string& line_start) {
    auto r = c.Get("/metrics");
    REQUIRE(r);
    const auto at = r->body.find(line_start);
    if (at == std::string::npos) return -1;
    return std::stol(r->body.substr(at + line_start.size()));
}

}  // namespace

TEST_CASE("without --feedback-db no correction is taken, and the page is told", "[http][feedback]") {
    ServerProcess server({});
    REQUIRE(server.started());
    auto c = client(server.api_port());
    expect_error(send_correction(c, digit_png(3), "3"), 404, "not_found");
    auto model = c.Get("/model");
    REQUIRE(model);
    CHECK(json::parse(model->body)["feedback"]["enabled"] == false);
    expect_error(c.Get("/feedback", {{"Authorization", std::string("Bearer ") + kToken}}), 404, "not_found");
    expect_error(c.Post("/admin/reload"), 404, "not_found");
}

TEST_CASE("POST /feedback keeps a correction with consent, and its token deletes it", "[http][feedback]") {
    TempDir dir("keep");
    ServerProcess server(
        {"--feedback-db", "sqlite:" + dir.file("fb.sqlite"), "--admin-token-file", token_file(dir)});
    REQUIRE(server.started());
    auto c = client(server.api_port());
    auto model = c.Get("/model");
    REQUIRE(model);
    CHECK(json::parse(model->body)["feedback"]["enabled"] == true);

    // Every answer says which model gave it.
    auto predicted =
        c.Post("/predict", httplib::MultipartFormDataItems{{"file", digit_png(4), "4.png", "image/png"}});
    REQUIRE(predicted);
    const std::string version = json::parse(predicted->body).value("model_version", "");
    CHECK(version.rfind("digitnet.cnn@", 0) == 0);
    CHECK(version.size() == std::string("digitnet.cnn@").size() + 8);

    SECTION("refused: no consent, a bad label, no image, not an image; nothing kept") {
        expect_error(send_correction(c, digit_png(3), "3", ""), 400, "consent_required");
        expect_error(send_correction(c, digit_png(3), "3", "false"), 400, "consent_required");
        expect_error(send_correction(c, digit_png(3), "33"), 400, "bad_label");
        expect_error(send_correction(c, digit_png(3), "x"), 400, "bad_label");
        expect_error(send_correction(c, digit_png(3), "12a", "true", "number"), 400, "bad_label");
        expect_error(send_correction(c, digit_png(3), "3", "true", "letter"), 400, "bad_request");
        expect_error(c.Post("/feedback", httplib::MultipartFormDataItems{{"label", "3", "", ""},
                                                                         {"consent", "true", "", ""}}),
                     400, "missing_file");
        expect_error(send_correction(c, "not an image at all", "3"), 415, "unsupported_media_type");
        const json rows = listed(c);
        CHECK(rows["total"] == 0);
        CHECK(metric(c, "digit_feedback_total{result=\"refused\"} ") == 8);
    }
    SECTION("kept with the 28x28 it was read as; listed, exported, deleted with its token only") {
        auto kept = send_correction(c, digit_png(1), "1");
        REQUIRE(kept);
        INFO(kept->body);
        REQUIRE(kept->status == 201);
        const json answer = json::parse(kept->body);
        const std::string id = answer["id"], token = answer["delete_token"];
        CHECK(id.size() == 32);
        CHECK(token.size() == 32);
        auto number = send_correction(
            c, testimg::encode_png_rgba([] {
                testimg::Rgba wide(840, 280);
                for (int i = 0; i < 3; ++i)
                    testimg::draw_digit(wide, 1 + i, 60 + 260 * i, 40, 120, 200, 18, {0, 0, 0, 255});
                return wide;
            }()),
            "12.3", "true", "number");
        REQUIRE(number);
        REQUIRE(number->status == 201);

        const json rows = listed(c);
        CHECK(rows["total"] == 2);
        CHECK(rows["engine"] == "sqlite");
        REQUIRE(rows["corrections"].size() == 2);
        for (const json& row : rows["corrections"]) {
            CHECK(!row.contains("delete_token"));
            if (row["id"] == id) {
                CHECK(row["label"] == "1");
                CHECK(row["kind"] == "digit");
                CHECK(row["predicted"] == "7");
                CHECK(row["input_count"] == 1);
            } else {
                CHECK(row["label"] == "12.3");
                CHECK(row["kind"] == "number");
                CHECK(row["input_count"] == 3);
            }
        }
        auto exported = c.Get("/feedback/export", {{"Authorization", std::string("Bearer ") + kToken}});
        REQUIRE(exported);
        REQUIRE(exported->status == 200);
        const json all = json::parse(exported->body);
        REQUIRE(all["corrections"].size() == 2);
        CHECK(all["corrections"][0]["inputs"][0].get<std::string>().size() == 1048);  // base64 of 784 bytes

        // The operator's routes want the token.
        expect_error(c.Get("/feedback"), 401, "unauthorized");
        expect_error(c.Get("/feedback", {{"Authorization", "Bearer wrong-token-wrong-token"}}), 401,
                     "unauthorized");
        expect_error(c.Get("/feedback/export", {{"Authorization", kToken}}), 401, "unauthorized");

        // Deletion: only with the row's own token.
        expect_error(c.Delete("/feedback/" + id), 401, "unauthorized");
        expect_error(c.Delete("/feedback/" + id, {{"X-Delete-Token", "0123456789abcdef0123456789abcdef"}}),
                     404, "not_found");
        auto deleted = c.Delete("/feedback/" + id, {{"X-Delete-Token", token}});
        REQUIRE(deleted);
        CHECK(deleted->status == 204);
        CHECK(deleted->body.empty());
        expect_error(c.Delete("/feedback/" + id, {{"X-Delete-Token", token}}), 404, "not_found");
        CHECK(listed(c)["total"] == 1);
        auto wrong_method = c.Get("/feedback/" + id);
        REQUIRE(wrong_method);
        CHECK(wrong_method->status == 405);
        CHECK(wrong_method->get_header_value("Allow") == "DELETE, OPTIONS");
    }
}

TEST_CASE(
    "the rate limit answers 429 with Retry-After, the caps 507, a lost database 503 and /predict unhurt",
    "[http][feedback]") {
    TempDir dir("limits");
    SECTION("rate limit") {
        ServerProcess server({"--feedback-db", "sqlite:" + dir.file("fb.sqlite"), "--feedback-per-minute",
                              "6", "--feedback-burst", "2"});
        REQUIRE(server.started());
        auto c = client(server.api_port());
        CHECK(send_correction(c, digit_png(2), "2")->status == 201);
        CHECK(send_correction(c, digit_png(2), "2")->status == 201);
        auto limited = send_correction(c, digit_png(2), "2");
        expect_error(limited, 429, "too_many_requests");
        const int retry = std::stoi(limited->get_header_value("Retry-After"));
        CHECK(retry >= 1);
        CHECK(retry <= 10);
        CHECK(metric(c, "digit_feedback_total{result=\"rate_limited\"} ") == 1);
    }
    SECTION("row cap") {
        ServerProcess server(
            {"--feedback-db", "sqlite:" + dir.file("fb.sqlite"), "--feedback-max-rows", "1"});
        REQUIRE(server.started());
        auto c = client(server.api_port());
        CHECK(send_correction(c, digit_png(5), "5")->status == 201);
        expect_error(send_correction(c, digit_png(5), "5"), 507, "storage_full");
    }
    SECTION("database unreachable") {
        ServerProcess server({"--feedback-db", "postgresql://digit@127.0.0.1:1/none"});
        REQUIRE(server.started());
        auto c = client(server.api_port());
        auto lost = send_correction(c, digit_png(6), "6");
        expect_error(lost, 503, "storage_unavailable");
        CHECK(lost->get_header_value("Retry-After") == "5");
        auto predicted =
            c.Post("/predict", httplib::MultipartFormDataItems{{"file", digit_png(6), "6.png", "image/png"}});
        REQUIRE(predicted);
        CHECK(predicted->status == 200);
        CHECK(json::parse(predicted->body)["predicted_digit"] == 6);
        auto readiness = c.Get("/readyz");
        REQUIRE(readiness);
        CHECK(readiness->status == 200);
    }
}

TEST_CASE("retention: rows older than --feedback-retention-days are deleted when the server starts",
          "[http][feedback]") {
    TempDir dir("retention");
    const std::string db = "sqlite:" + dir.file("fb.sqlite");
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::string young_id;
    {
        auto store = digit::feedback::open_store(db);
        for (std::int64_t age_days : {40, 31, 2}) {
            digit::feedback::Correction c;
            c.id = digit::feedback::random_hex_id();
            c.delete_token = digit::feedback::random_hex_id();
            c.kind = "digit";
            c.label = "1";
            c.inputs.assign(784, 0);
            c.created_at = now - age_days * 86400;
            store->add(c);
            young_id = c.id;
        }
    }
    ServerProcess server(
        {"--feedback-db", db, "--feedback-retention-days", "30", "--admin-token-file", token_file(dir)});
    REQUIRE(server.started());
    auto c = client(server.api_port());
    json rows;
    for (int i = 0; i < 50; ++i) {
        rows = listed(c);
        if (rows["total"] == 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(rows["total"] == 1);
    REQUIRE(rows["corrections"].size() == 1);
    CHECK(rows["corrections"][0]["id"] == young_id);
}

TEST_CASE(
    "reload: SIGHUP and POST /admin/reload load the model files afresh, a bad file is refused, "
    "/readyz never drops",
    "[http][feedback][reload]") {
    TempDir dir("reload");
    const std::string model = dir.file("digitnet.cnn");
    fs::copy_file(model_path(), model);
    ServerProcess server({"--admin-token-file", token_file(dir)}, model);
    REQUIRE(server.started());
    auto c = client(server.api_port());
    auto version = [&] {
        auto r =
            c.Post("/predict", httplib::MultipartFormDataItems{{"file", digit_png(8), "8.png", "image/png"}});
        REQUIRE(r);
        REQUIRE(r->status == 200);
        return json::parse(r->body).value("model_version", "");
    };
    const std::string first = version();

    // Readiness and answers watched the whole time, from another connection.
    std::atomic<bool> watching{true};
    std::atomic<int> not_ready{0}, polls{0};
    std::thread watcher([&] {
        auto w = client(server.api_port());
        while (watching) {
            auto r = w.Get("/readyz");
            if (!r || r->status != 200) ++not_ready;
            ++polls;
        }
    });
    const std::string auth = std::string("Bearer ") + kToken;

    // A broken file in place of the model: refused, the old model serves on.
    std::ofstream(model, std::ios::binary | std::ios::trunc) << "not a model";
    auto refused = c.Post("/admin/reload", {{"Authorization", auth}}, "", "application/json");
    expect_error(refused, 422, "reload_failed");
    CHECK(version() == first);
    CHECK(metric(c, "digit_model_reloads_total{result=\"failure\"} ") == 1);
    expect_error(c.Post("/admin/reload", "", "application/json"), 401, "unauthorized");

    // Another good model file under the same name: its version is answered after the reload.
    fs::copy_file(fs::path(model_path()).parent_path() / "readnet.cnn", model,
                  fs::copy_options::overwrite_existing);
    auto reloaded = c.Post("/admin/reload", {{"Authorization", auth}}, "", "application/json");
    REQUIRE(reloaded);
    INFO(reloaded->body);
    REQUIRE(reloaded->status == 200);
    const std::string second = json::parse(reloaded->body)["model_version"];
    CHECK(second != first);
    CHECK(version() == second);

    // SIGHUP does the same.
    fs::copy_file(model_path(), model, fs::copy_options::overwrite_existing);
    server.signal(SIGHUP);
    std::string third;
    for (int i = 0; i < 100 && (third = version()) != first; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(third == first);
    CHECK(metric(c, "digit_model_reloads_total{result=\"success\"} ") == 2);

    watching = false;
    watcher.join();
    CHECK(polls > 10);
    CHECK(not_ready == 0);
}
