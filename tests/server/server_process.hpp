// The server tests' harness: the real digit-server binary started on free ports (--port 0 --ui-port 0; the
// ports are read from its "loaded" line on stderr), a client for it, and the check of an error answer.
//
// The model: $DIGIT_TEST_MODEL, else models/digitnet.cnn, else the small model the CTest fixture
// `server: train test model` writes into the build tree.
#pragma once

#include <catch2/catch.hpp>

#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace server_test {

inline bool file_exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

inline std::string model_path() {
    if (const char* env = std::getenv("DIGIT_TEST_MODEL"); env != nullptr && file_exists(env)) return env;
    const std::string shipped = std::string(DIGIT_SOURCE_DIR) + "/models/digitnet.cnn";
    if (file_exists(shipped)) return shipped;
    const std::string trained = std::string(DIGIT_TEST_MODEL_FALLBACK);
    if (file_exists(trained)) return trained;
    FAIL("no model: set DIGIT_TEST_MODEL, create models/digitnet.cnn, or run the CTest fixture that trains "
         << trained);
    return {};
}

// The running digit-server binary; stops it (SIGTERM) when destroyed.
class ServerProcess {
  public:
    explicit ServerProcess(std::vector<std::string> extra_args, std::string model = model_path()) {
        std::vector<std::string> args = {DIGIT_SERVER_BIN, "--model", model,       "--host", "127.0.0.1",
                                         "--port",         "0",       "--ui-port", "0"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        start(args);
    }
    ~ServerProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        if (reader_.joinable()) reader_.join();
    }
    int api_port() const { return api_port_; }
    int ui_port() const { return ui_port_; }
    // The most memory the process has held so far (VmHWM), in KiB.
    long peak_memory_kib() const {
        std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
        std::string line;
        while (std::getline(status, line))
            if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
        return -1;
    }
    std::string log() {
        std::lock_guard<std::mutex> lock(mutex_);
        return log_;
    }
    // Waits for the process to end by itself; returns its exit status.
    int wait_exit() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        if (reader_.joinable()) reader_.join();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    bool started() const { return api_port_ > 0; }
    void signal(int number) const { ::kill(pid_, number); }

  private:
    void start(const std::vector<std::string>& args) {
        int pipe_fds[2];
        REQUIRE(::pipe(pipe_fds) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
        posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
        std::vector<char*> argv;
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        REQUIRE(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) == 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(pipe_fds[1]);
        const int fd = pipe_fds[0];
        // Drain stderr for the process's whole life (a full pipe would block its logging); note the ports.
        std::promise<void> ports_known;
        auto ports_future = ports_known.get_future();
        reader_ = std::thread([this, fd, promise = std::move(ports_known)]() mutable {
            char buffer[4096];
            bool announced = false;
            for (;;) {
                const ssize_t n = ::read(fd, buffer, sizeof buffer);
                if (n <= 0) break;
                std::lock_guard<std::mutex> lock(mutex_);
                log_.append(buffer, std::size_t(n));
                if (!announced && log_.find('\n', log_.find("API on")) != std::string::npos) {
                    std::sscanf(log_.c_str() + log_.find("API on"), "API on http://%*[^:]:%d", &api_port_);
                    const auto ui = log_.find("UI on");
                    if (ui != std::string::npos)
                        std::sscanf(log_.c_str() + ui, "UI on http://%*[^:]:%d", &ui_port_);
                    announced = true;
                    promise.set_value();
                }
            }
            ::close(fd);
            if (!announced) promise.set_value();
        });
        ports_future.wait_for(std::chrono::seconds(60));
    }

    pid_t pid_ = -1;
    std::thread reader_;
    std::mutex mutex_;
    std::string log_;
    int api_port_ = -1, ui_port_ = -1;
};

inline httplib::Client client(int port) {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    c.set_connection_timeout(5, 0);
    return c;
}

inline void expect_error(const httplib::Result& result, int status, const std::string& code) {
    REQUIRE(result);
    INFO(result->body);
    CHECK(result->status == status);
    const nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
    REQUIRE(body.is_object());
    CHECK(body.value("code", "") == code);
    CHECK(!body.value("error", "").empty());
    CHECK(result->get_header_value("Access-Control-Allow-Origin") == "*");
}

}  // namespace server_test
