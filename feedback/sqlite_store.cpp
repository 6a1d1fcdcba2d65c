// The embedded engine: one SQLite file (Debian's libsqlite3, the C API). WAL mode with synchronous=FULL,
// so that a correction acknowledged is on disk and a reader never waits for the writer; one connection and
// one writer at a time (a mutex around each operation, which is also its transaction).
#include <sqlite3.h>

#include <mutex>

#include "engines.hpp"
#include "schema.hpp"

namespace digit::feedback {
namespace {

class Statement {
  public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
            throw StoreError(StoreError::Kind::unavailable,
                             std::string("sqlite: cannot prepare a statement: ") + sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Resets the statement for a new run; bind() then takes its parameters from 1 on.
    Statement& start() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        next_ = 1;
        return *this;
    }
    Statement& bind(const std::string& text) {
        sqlite3_bind_text(stmt_, next_++, text.data(), int(text.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind_blob(const void* data, std::size_t size) {
        sqlite3_bind_blob64(stmt_, next_++, size ? data : "", sqlite3_uint64(size), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind(std::int64_t value) {
        sqlite3_bind_int64(stmt_, next_++, value);
        return *this;
    }
    // Steps once: true while a row is there.
    bool step() {
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail(rc);
    }
    void run() {
        while (step()) {
        }
    }
    std::string text(int column) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(stmt_, column));
        return p ? std::string(p, std::size_t(sqlite3_column_bytes(stmt_, column))) : std::string();
    }
    std::string bytes(int column) const { return text(column); }  // a blob, read as text() reads it
    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

    [[noreturn]] void fail(int rc) const {
        // SQLITE_FULL is the disk; the caps are checked before a row is written.
        throw StoreError(rc == SQLITE_FULL ? StoreError::Kind::full : StoreError::Kind::unavailable,
                         std::string("sqlite: ") + sqlite3_errmsg(db_));
    }

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    int next_ = 1;
};

class SqliteStore : public Store {
  public:
    SqliteStore(const std::string& path, const StoreLimits& limits) : limits_(limits) {
        int rc = sqlite3_open_v2(path.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw StoreError(StoreError::Kind::unavailable, "sqlite: cannot open " + path + ": " + message);
        }
        try {
            sqlite3_busy_timeout(db_, 5000);
            exec("PRAGMA journal_mode=WAL");
            exec("PRAGMA synchronous=FULL");
            migrate();
            prepare();
        } catch (...) {
            statements_.clear();
            sqlite3_close(db_);
            throw;
        }
    }
    ~SqliteStore() override {
        statements_.clear();
        sqlite3_close(db_);
    }

    std::string engine() const override { return "sqlite"; }

    int schema_version() override {
        std::lock_guard<std::mutex> lock(mutex_);
        Statement s(db_, "SELECT coalesce(max(version), 0) FROM schema_migrations");
        s.start().step();
        return int(s.integer(0));
    }

    void add(const Correction& c) override {
        std::lock_guard<std::mutex> lock(mutex_);
        Transaction tx(*this);
        insert_->start()
            .bind(c.id)
            .bind(c.delete_token)
            .bind(c.kind)
            .bind(c.label)
            .bind(c.predicted)
            .bind(c.model_version)
            .bind_blob(c.upload.data(), c.upload.size())
            .bind(c.upload_type)
            .bind_blob(c.inputs.data(), c.inputs.size())
            .bind(c.stored_bytes())
            .bind(c.created_at)
            .run();
        if (sqlite3_changes(db_) == 1) {
            charge_->start()
                .bind(std::int64_t(1))
                .bind(c.stored_bytes())
                .bind(limits_.max_rows)
                .bind(limits_.max_bytes)
                .run();
            if (sqlite3_changes(db_) == 0)
                throw StoreError(StoreError::Kind::full,
                                 "the feedback store is full (rows or bytes at their cap)");
        }
        tx.commit();
    }

    bool remove(const std::string& id, const std::string& token) override {
        std::lock_guard<std::mutex> lock(mutex_);
        Transaction tx(*this);
        find_token_->start().bind(id);
        std::string stored = kDummyToken;
        std::int64_t bytes = 0;
        const bool found = find_token_->step();
        if (found) {
            stored = find_token_->text(0);
            bytes = find_token_->integer(1);
        }
        find_token_->start();
        // Compared even when there is no such row, so that the time does not tell which ids exist.
        const bool match = constant_time_equal(stored, token) && found;
        if (!match) return false;
        delete_->start().bind(id).run();
        release_->start().bind(std::int64_t(1)).bind(bytes).run();
        tx.commit();
        return true;
    }

    std::vector<Summary> list(std::int64_t limit, std::int64_t offset) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<Summary> out;
        list_->start().bind(limit).bind(offset);
        while (list_->step()) {
            out.push_back(summary_of(*list_));
        }
        list_->start();
        return out;
    }

    void each(const std::function<void(const Correction&)>& visit, std::int64_t limit, std::int64_t offset,
              bool uploads) override {
        std::lock_guard<std::mutex> lock(mutex_);
        Statement s(db_, uploads ? kSelectAllSql : kSelectAllWithoutUploadsSql);
        s.start().bind(limit < 0 ? kAllRows : limit).bind(offset);
        while (s.step()) {
            visit(correction_of(s));
        }
    }

    std::int64_t purge_before(std::int64_t cutoff) override {
        std::lock_guard<std::mutex> lock(mutex_);
        Transaction tx(*this);
        old_usage_->start().bind(cutoff).step();
        const std::int64_t rows = old_usage_->integer(0), bytes = old_usage_->integer(1);
        old_usage_->start();
        if (rows == 0) return 0;
        purge_->start().bind(cutoff).run();
        release_->start().bind(rows).bind(bytes).run();
        tx.commit();
        return rows;
    }

    Usage usage() override {
        std::lock_guard<std::mutex> lock(mutex_);
        usage_->start().step();
        Usage u{usage_->integer(0), usage_->integer(1)};
        usage_->start();
        return u;
    }

  private:
    // BEGIN IMMEDIATE takes the write lock at once; rolled back unless committed.
    class Transaction {
      public:
        explicit Transaction(SqliteStore& store) : store_(store) { store_.exec("BEGIN IMMEDIATE"); }
        ~Transaction() {
            if (!done_) sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
        void commit() {
            store_.exec("COMMIT");
            done_ = true;
        }

      private:
        SqliteStore& store_;
        bool done_ = false;
    };

    void exec(const char* sql) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
            std::string message = error ? error : sqlite3_errmsg(db_);
            sqlite3_free(error);
            const int rc = sqlite3_errcode(db_);
            throw StoreError(rc == SQLITE_FULL ? StoreError::Kind::full : StoreError::Kind::unavailable,
                             "sqlite: " + message);
        }
    }

    void migrate() {
        Transaction tx(*this);
        exec(kMigrationsTableSql);
        Statement current(db_, "SELECT coalesce(max(version), 0) FROM schema_migrations");
        current.start().step();
        const int version = int(current.integer(0));
        current.start();
        check_known_version(version);
        Statement record(
            db_, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, strftime('%s','now'))");
        for (const Migration& m : migrations())
            if (m.version > version) {
                exec(m.sqlite);
                record.start().bind(std::int64_t(m.version)).run();
            }
        tx.commit();
    }

    void prepare() {
        auto make = [&](const char* sql) {
            statements_.push_back(std::make_unique<Statement>(db_, sql));
            return statements_.back().get();
        };
        insert_ = make(
            "INSERT OR IGNORE INTO feedback (id, delete_token, kind, label, predicted, model_version, "
            "upload, "
            "upload_type, inputs, stored_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        charge_ = make(kChargeSql);
        release_ = make(kReleaseSql);
        find_token_ = make("SELECT delete_token, stored_bytes FROM feedback WHERE id = ?");
        delete_ = make("DELETE FROM feedback WHERE id = ?");
        list_ = make(kListSql);
        old_usage_ =
            make("SELECT count(*), coalesce(sum(stored_bytes), 0) FROM feedback WHERE created_at < ?");
        purge_ = make("DELETE FROM feedback WHERE created_at < ?");
        usage_ = make("SELECT row_count, byte_count FROM feedback_usage WHERE singleton = 1");
    }

    sqlite3* db_ = nullptr;
    StoreLimits limits_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Statement>> statements_;
    Statement *insert_ = nullptr, *charge_ = nullptr, *release_ = nullptr, *find_token_ = nullptr,
              *delete_ = nullptr, *list_ = nullptr, *old_usage_ = nullptr, *purge_ = nullptr,
              *usage_ = nullptr;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path, const StoreLimits& limits) {
    return std::make_unique<SqliteStore>(path, limits);
}

}  // namespace digit::feedback
