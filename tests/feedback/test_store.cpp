// The feedback store on its two real engines: an SQLite file on disk, and a PostgreSQL server that the test
// set-up starts (tests/support/postgres.sh; its URL in the file FEEDBACK_PG_URL_FILE names). The same checks
// run on both: rows kept once, deletion only with the token, caps, retention, migrations run once.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store.hpp"

using namespace digit::feedback;

namespace {

std::string temp_sqlite(const std::string& name) {
    const std::string path = "/tmp/feedback_test_" + std::to_string(::getpid()) + "_" + name + ".sqlite";
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    return path;
}

std::string postgres_url() {
    const char* file = std::getenv("FEEDBACK_PG_URL_FILE");
    REQUIRE(file != nullptr);
    std::ifstream in(file);
    std::string url;
    std::getline(in, url);
    REQUIRE(!url.empty());
    return url;
}

// A fresh, empty database of the engine: a new SQLite file, or the PostgreSQL database emptied.
std::unique_ptr<Store> fresh_store(const std::string& engine, const std::string& name,
                                   const StoreLimits& limits = {}) {
    if (engine == "sqlite") return open_store("sqlite:" + temp_sqlite(name), limits);
    auto store = open_store(postgres_url(), limits, 4);
    store->purge_before(std::int64_t(1) << 62);  // migrates, then removes every row
    return store;
}

Correction correction(const std::string& label, std::int64_t created_at = 1000000) {
    Correction c;
    c.id = random_hex_id();
    c.delete_token = random_hex_id();
    c.kind = "digit";
    c.label = label;
    c.predicted = "7";
    c.model_version = "digitnet.cnn@00000000";
    c.upload = std::string("\x89PNG\r\n\x1a\n\0binary", 16);
    c.upload_type = "image/png";
    c.inputs.assign(784, 0);
    c.inputs[400] = 255;
    c.created_at = created_at;
    return c;
}

void check_engine(const std::string& engine) {
    SECTION("a row is kept once with its images and read back whole") {
        auto store = fresh_store(engine, "roundtrip");
        CHECK(store->engine() == engine);
        CHECK(store->schema_version() == 1);
        Correction c = correction("1");
        c.kind = "number";
        c.label = "17.50";
        c.inputs.assign(3 * 784, 7);
        store->add(c);
        store->add(c);  // a retry of the same correction: still one row
        const Usage usage = store->usage();
        CHECK(usage.rows == 1);
        CHECK(usage.bytes == c.stored_bytes());
        std::vector<Correction> rows;
        store->each([&](const Correction& r) { rows.push_back(r); });
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].id == c.id);
        CHECK(rows[0].delete_token == "");  // never read back out of the store
        CHECK(rows[0].kind == "number");
        CHECK(rows[0].label == "17.50");
        CHECK(rows[0].upload == c.upload);
        CHECK(rows[0].inputs == c.inputs);
        CHECK(rows[0].input_count() == 3);
        CHECK(rows[0].created_at == c.created_at);
        const auto listed = store->list(10, 0);
        REQUIRE(listed.size() == 1);
        CHECK(listed[0].input_count == 3);
        CHECK(listed[0].upload_bytes == std::int64_t(c.upload.size()));
    }
    SECTION("deletion needs the row's own token") {
        auto store = fresh_store(engine, "delete");
        Correction a = correction("2"), b = correction("3");
        store->add(a);
        store->add(b);
        CHECK_FALSE(store->remove(a.id, b.delete_token));
        CHECK_FALSE(store->remove(a.id, ""));
        CHECK_FALSE(store->remove(random_hex_id(), a.delete_token));
        CHECK(store->usage().rows == 2);
        CHECK(store->remove(a.id, a.delete_token));
        CHECK_FALSE(store->remove(a.id, a.delete_token));  // gone
        const auto left = store->list(10, 0);
        REQUIRE(left.size() == 1);
        CHECK(left[0].id == b.id);
        CHECK(store->usage().rows == 1);
        CHECK(store->usage().bytes == b.stored_bytes());
    }
    SECTION("the row cap and the byte cap refuse the next row, and deletion makes room again") {
        StoreLimits limits;
        limits.max_rows = 2;
        auto store = fresh_store(engine, "caps", limits);
        Correction a = correction("4"), b = correction("5"), c = correction("6");
        store->add(a);
        store->add(b);
        try {
            store->add(c);
            FAIL("a third row was kept under a cap of two");
        } catch (const StoreError& e) {
            CHECK(e.kind() == StoreError::Kind::full);
        }
        CHECK(store->usage().rows == 2);
        REQUIRE(store->remove(a.id, a.delete_token));
        store->add(c);
        CHECK(store->usage().rows == 2);

        StoreLimits bytes;
        bytes.max_bytes = 3 * correction("1").stored_bytes() / 2;
        auto small = fresh_store(engine, "bytecap", bytes);
        small->add(correction("7"));
        CHECK_THROWS_AS(small->add(correction("8")), StoreError);
        CHECK(small->usage().rows == 1);
    }
    SECTION("retention removes the rows created before the cut-off, and only those") {
        auto store = fresh_store(engine, "retention");
        store->add(correction("1", 100));
        store->add(correction("2", 200));
        const Correction young = correction("3", 5000);
        store->add(young);
        CHECK(store->purge_before(1000) == 2);
        CHECK(store->purge_before(1000) == 0);
        const auto left = store->list(10, 0);
        REQUIRE(left.size() == 1);
        CHECK(left[0].id == young.id);
        CHECK(store->usage().rows == 1);
        CHECK(store->usage().bytes == young.stored_bytes());
    }
    SECTION("the list pages newest first") {
        auto store = fresh_store(engine, "list");
        std::vector<std::string> ids;
        for (int i = 0; i < 5; ++i) {
            Correction c = correction(std::to_string(i), 1000 + i);
            ids.push_back(c.id);
            store->add(c);
        }
        const auto first = store->list(2, 0), rest = store->list(10, 2);
        REQUIRE(first.size() == 2);
        REQUIRE(rest.size() == 3);
        CHECK(first[0].id == ids[4]);
        CHECK(first[1].id == ids[3]);
        CHECK(rest[2].id == ids[0]);
    }
    SECTION("writers on several threads: every row kept once") {
        auto store = fresh_store(engine, "threads");
        std::vector<std::thread> writers;
        std::vector<std::vector<std::string>> written(4);
        for (int t = 0; t < 4; ++t)
            writers.emplace_back([&, t] {
                for (int i = 0; i < 50; ++i) {
                    Correction c = correction(std::to_string(i % 10));
                    store->add(c);
                    written[t].push_back(c.id);
                }
            });
        for (auto& w : writers) w.join();
        std::multiset<std::string> kept;
        store->each([&](const Correction& r) { kept.insert(r.id); });
        CHECK(kept.size() == 200);
        for (const auto& ids : written)
            for (const std::string& id : ids) CHECK(kept.count(id) == 1);
        CHECK(store->usage().rows == 200);
    }
}

}  // namespace

TEST_CASE("The SQLite store keeps, deletes, caps and ages corrections", "[feedback][sqlite]") {
    check_engine("sqlite");
}

TEST_CASE("The PostgreSQL store keeps, deletes, caps and ages corrections", "[feedback][postgres]") {
    check_engine("postgresql");
}

TEST_CASE("SQLite: WAL mode, migrations run once, a newer schema is refused", "[feedback][sqlite]") {
    const std::string path = temp_sqlite("migrations");
    const Correction c = correction("9");
    {
        auto store = open_store("sqlite:" + path);
        store->add(c);
    }
    auto again = open_store("sqlite:" + path);  // opens and migrates again: nothing changes
    CHECK(again->schema_version() == 1);
    CHECK(again->usage().rows == 1);
    CHECK(std::ifstream(path + "-wal").good());
    again.reset();
    const std::string bump = "sqlite3 " + path + " \"INSERT INTO schema_migrations VALUES (99, 0)\"";
    REQUIRE(std::system(bump.c_str()) == 0);
    try {
        open_store("sqlite:" + path);
        FAIL("a database of a newer schema was opened");
    } catch (const StoreError& e) {
        CHECK(std::string(e.what()).find("schema version 99") != std::string::npos);
    }
}

TEST_CASE("PostgreSQL: an unreachable server is 'unavailable' on use, not at start", "[feedback][postgres]") {
    auto store = open_store("postgresql://digit@127.0.0.1:1/none");  // nothing listens on port 1
    try {
        store->add(correction("1"));
        FAIL("a correction was kept on a closed port");
    } catch (const StoreError& e) {
        CHECK(e.kind() == StoreError::Kind::unavailable);
    }
}

TEST_CASE("Store URLs, ids and comparisons", "[feedback]") {
    CHECK_THROWS_AS(open_store("mysql://x"), StoreError);
    CHECK_THROWS_AS(open_store("sqlite:"), StoreError);
    const std::string a = random_hex_id(), b = random_hex_id();
    CHECK(a.size() == 32);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a != b);
    CHECK(constant_time_equal(a, a));
    CHECK_FALSE(constant_time_equal(a, b));
    CHECK_FALSE(constant_time_equal(a, a.substr(0, 31)));
    CHECK_FALSE(constant_time_equal("", a));
    CHECK(redacted_url("postgresql://user:secret@db:5432/x") == "postgresql://user:***@db:5432/x");
    CHECK(redacted_url("postgresql://db/x?password=secret&sslmode=require") ==
          "postgresql://db/x?password=***&sslmode=require");
}
