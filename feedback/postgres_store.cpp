// The shared engine: a PostgreSQL server that many replicas write to (Debian's libpq, the C API). A pool of
// connections sized to the server's workers, each with the statements prepared once; a connection found
// broken is reconnected when it is next taken, so the store comes back by itself when the database does.
// Replicas starting together run the migrations one at a time (a transaction-scoped advisory lock).
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "engines.hpp"
#include "schema.hpp"

namespace digit::feedback {
namespace {

constexpr const char* kInsertSql =
    "INSERT INTO feedback (id, delete_token, kind, label, predicted, model_version, upload, upload_type, "
    "inputs,"
    " stored_bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO "
    "NOTHING";

// The statements every connection prepares, by name.
struct Prepared {
    const char* name;
    const char* sql;
};
const Prepared kStatements[] = {
    {"insert", kInsertSql},
    {"charge", kChargeSql},
    {"release", kReleaseSql},
    {"find_token", "SELECT delete_token, stored_bytes FROM feedback WHERE id = $1 FOR UPDATE"},
    {"delete", "DELETE FROM feedback WHERE id = $1"},
    {"list", kListSql},
    {"all", kSelectAllSql},
    {"all_without_uploads", kSelectAllWithoutUploadsSql},
    {"old_usage", "SELECT count(*), coalesce(sum(stored_bytes), 0) FROM feedback WHERE created_at < $1"},
    {"purge", "DELETE FROM feedback WHERE created_at < $1"},
    {"usage", "SELECT row_count, byte_count FROM feedback_usage WHERE singleton = 1"},
    {"version", "SELECT coalesce(max(version), 0) FROM schema_migrations"},
};

// Parameters of one statement: text by default, bytes where bound as binary.
class Params {
  public:
    Params& text(std::string value) {
        values_.push_back(std::move(value));
        binary_.push_back(0);
        return *this;
    }
    Params& bytes(const void* data, std::size_t size) {
        values_.emplace_back(static_cast<const char*>(data), size);
        binary_.push_back(1);
        return *this;
    }
    Params& integer(std::int64_t value) { return text(std::to_string(value)); }
    int count() const { return int(values_.size()); }
    void pointers(std::vector<const char*>& p, std::vector<int>& lengths) const {
        for (const std::string& v : values_) {
            p.push_back(v.data());
            lengths.push_back(int(v.size()));
        }
    }
    const int* formats() const { return binary_.data(); }

  private:
    std::vector<std::string> values_;
    std::vector<int> binary_;
};

// A query's result, freed with it.
class Result {
  public:
    explicit Result(PGresult* r) : r_(r) {}
    ~Result() { PQclear(r_); }
    Result(Result&& other) noexcept : r_(other.r_) { other.r_ = nullptr; }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    int rows() const { return PQntuples(r_); }
    std::string text(int row, int column) const {
        return std::string(PQgetvalue(r_, row, column), std::size_t(PQgetlength(r_, row, column)));
    }
    std::int64_t integer(int row, int column) const { return std::stoll(text(row, column)); }
    // A bytea column of a text-format result.
    std::string bytes(int row, int column) const {
        std::size_t size = 0;
        unsigned char* raw =
            PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, column)), &size);
        if (!raw) throw StoreError(StoreError::Kind::unavailable, "postgresql: cannot read a bytea value");
        std::string out(reinterpret_cast<const char*>(raw), size);
        PQfreemem(raw);
        return out;
    }
    std::int64_t affected() const {
        const char* n = PQcmdTuples(r_);
        return n && *n ? std::stoll(n) : 0;
    }

  private:
    PGresult* r_;
};

// One row of a Result, read as summary_of and correction_of read rows.
struct Row {
    const Result& result;
    int row;
    std::string text(int column) const { return result.text(row, column); }
    std::string bytes(int column) const { return result.bytes(row, column); }
    std::int64_t integer(int column) const { return result.integer(row, column); }
};

class Connection {
  public:
    explicit Connection(const std::string& url) : url_(url) {}
    ~Connection() {
        if (conn_) PQfinish(conn_);
    }

    // Connected, with the statements prepared; reconnects when the last use found the connection broken.
    void ensure() {
        // A server that went away while the connection sat idle has closed its socket: reading what is there
        // (without waiting) tells, so that a restarted database costs no failed request.
        if (conn_ && !broken_ && PQstatus(conn_) == CONNECTION_OK &&
            (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK))
            broken_ = true;
        if (conn_ && PQstatus(conn_) == CONNECTION_OK && !broken_) return;
        if (conn_) PQfinish(conn_);
        // connect_timeout first: a timeout in the URL overrides it.
        const char* keys[] = {"connect_timeout", "dbname", nullptr};
        const char* values[] = {"3", url_.c_str(), nullptr};
        conn_ = PQconnectdbParams(keys, values, 1);
        broken_ = false;
        prepared = false;
        if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
            std::string message = conn_ ? PQerrorMessage(conn_) : "out of memory";
            broken_ = true;
            throw StoreError(StoreError::Kind::unavailable,
                             "postgresql: cannot connect: " + trimmed(message));
        }
        exec("SET client_min_messages = warning");
    }

    // Runs SQL with no parameters (transaction control, migrations).
    Result exec(const char* sql) { return checked(PQexec(conn_, sql)); }
    Result run(const char* name, const Params& params = {}) {
        std::vector<const char*> values;
        std::vector<int> lengths;
        params.pointers(values, lengths);
        return checked(
            PQexecPrepared(conn_, name, params.count(), values.data(), lengths.data(), params.formats(), 0));
    }
    void prepare_all() {
        for (const Prepared& s : kStatements) checked(PQprepare(conn_, s.name, s.sql, 0, nullptr));
    }
    // After a failed statement: leave no transaction open on a live connection.
    void rollback() {
        if (conn_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE)
            PQclear(PQexec(conn_, "ROLLBACK"));
    }
    bool prepared = false;

  private:
    static std::string trimmed(std::string s) {
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        return s;
    }
    Result checked(PGresult* r) {
        Result result(r);
        const ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
        std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
        if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
        throw StoreError(StoreError::Kind::unavailable, "postgresql: " + trimmed(message));
    }

    std::string url_;
    PGconn* conn_ = nullptr;
    bool broken_ = true;
};

class PostgresStore : public Store {
    // Takes an idle connection (waiting up to 5 s), makes sure it is connected, the schema migrated and the
    // statements prepared, and runs `work` on it.
  private:
    template <class Work>
    auto with_connection(Work&& work) {
        Connection* c = nullptr;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            if (!available_.wait_for(lock, std::chrono::seconds(5), [&] { return !idle_.empty(); }))
                throw StoreError(StoreError::Kind::unavailable, "postgresql: no free connection within 5 s");
            c = idle_.back();
            idle_.pop_back();
        }
        struct GiveBack {
            PostgresStore& store;
            Connection* c;
            ~GiveBack() {
                std::lock_guard<std::mutex> lock(store.mutex_);
                store.idle_.push_back(c);
                store.available_.notify_one();
            }
        } give_back{*this, c};
        try {
            c->ensure();
            if (!migrated_) {
                std::lock_guard<std::mutex> lock(migrate_mutex_);
                if (!migrated_) {
                    migrate(*c);
                    migrated_ = true;
                }
            }
            if (!c->prepared) {
                c->prepare_all();
                c->prepared = true;
            }
            return work(*c);
        } catch (...) {
            c->rollback();
            throw;
        }
    }

  public:
    PostgresStore(const std::string& url, const StoreLimits& limits, int connections) : limits_(limits) {
        for (int i = 0; i < connections; ++i) pool_.push_back(std::make_unique<Connection>(url));
        for (auto& c : pool_) idle_.push_back(c.get());
        // Nothing connects yet: a database that is down when the server starts is reached when it is up.
    }

    std::string engine() const override { return "postgresql"; }

    int schema_version() override {
        return with_connection([&](Connection& c) { return int(c.run("version").integer(0, 0)); });
    }

    void add(const Correction& k) override {
        with_connection([&](Connection& c) {
            c.exec("BEGIN");
            Params p;
            p.text(k.id)
                .text(k.delete_token)
                .text(k.kind)
                .text(k.label)
                .text(k.predicted)
                .text(k.model_version)
                .bytes(k.upload.data(), k.upload.size())
                .text(k.upload_type)
                .bytes(k.inputs.data(), k.inputs.size())
                .integer(k.stored_bytes())
                .integer(k.created_at);
            if (c.run("insert", p).affected() == 1) {
                Params charge;
                charge.integer(1)
                    .integer(k.stored_bytes())
                    .integer(limits_.max_rows)
                    .integer(limits_.max_bytes);
                if (c.run("charge", charge).affected() == 0) {
                    c.rollback();
                    throw StoreError(StoreError::Kind::full,
                                     "the feedback store is full (rows or bytes at their cap)");
                }
            }
            c.exec("COMMIT");
        });
    }

    bool remove(const std::string& id, const std::string& token) override {
        return with_connection([&](Connection& c) {
            c.exec("BEGIN");
            Result found = c.run("find_token", Params().text(id));
            const bool exists = found.rows() == 1;
            const std::string stored = exists ? found.text(0, 0) : kDummyToken;
            if (!(constant_time_equal(stored, token) && exists)) {
                c.rollback();
                return false;
            }
            c.run("delete", Params().text(id));
            c.run("release", Params().integer(1).integer(found.integer(0, 1)));
            c.exec("COMMIT");
            return true;
        });
    }

    std::vector<Summary> list(std::int64_t limit, std::int64_t offset) override {
        return with_connection([&](Connection& c) {
            Result r = c.run("list", Params().integer(limit).integer(offset));
            std::vector<Summary> out;
            for (int i = 0; i < r.rows(); ++i) {
                out.push_back(summary_of(Row{r, i}));
            }
            return out;
        });
    }

    void each(const std::function<void(const Correction&)>& visit, std::int64_t limit, std::int64_t offset,
              bool uploads) override {
        with_connection([&](Connection& c) {
            Result r = c.run(uploads ? "all" : "all_without_uploads",
                             Params().integer(limit < 0 ? kAllRows : limit).integer(offset));
            for (int i = 0; i < r.rows(); ++i) {
                visit(correction_of(Row{r, i}));
            }
        });
    }

    std::int64_t purge_before(std::int64_t cutoff) override {
        return with_connection([&](Connection& c) {
            c.exec("BEGIN");
            // Lock the account first, so that concurrent purges of several replicas count each row once.
            c.exec("SELECT 1 FROM feedback_usage WHERE singleton = 1 FOR UPDATE");
            Result old = c.run("old_usage", Params().integer(cutoff));
            const std::int64_t rows = old.integer(0, 0), bytes = old.integer(0, 1);
            if (rows > 0) {
                c.run("purge", Params().integer(cutoff));
                c.run("release", Params().integer(rows).integer(bytes));
            }
            c.exec("COMMIT");
            return rows;
        });
    }

    Usage usage() override {
        return with_connection([&](Connection& c) {
            Result r = c.run("usage");
            return Usage{r.integer(0, 0), r.integer(0, 1)};
        });
    }

  private:
    void migrate(Connection& c) {
        c.exec("BEGIN");
        c.exec("SELECT pg_advisory_xact_lock(7212026)");  // one replica at a time
        c.exec(kMigrationsTableSql);
        Result current = c.exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
        const int version = int(current.integer(0, 0));
        check_known_version(version);
        for (const Migration& m : migrations())
            if (m.version > version) {
                c.exec(m.postgres);
                const std::string record = "INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                                           std::to_string(m.version) + ", extract(epoch from now())::bigint)";
                c.exec(record.c_str());
            }
        c.exec("COMMIT");
    }

    StoreLimits limits_;
    std::vector<std::unique_ptr<Connection>> pool_;
    std::vector<Connection*> idle_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::mutex migrate_mutex_;
    std::atomic<bool> migrated_{false};
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url, const StoreLimits& limits,
                                           int connections) {
    return std::make_unique<PostgresStore>(url, limits, connections);
}

}  // namespace digit::feedback
