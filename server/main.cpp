// digit-server: the REST API (default port 5001) and the web UI (default port 3000) in one process.
// The listeners start first and the model loads behind them, so /healthz answers at once and /readyz turns
// 200 when the model is in; a model that cannot be loaded ends the process with one line and status 1.
#include <malloc.h>
#include <signal.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <thread>

#include <CLI/CLI.hpp>

#include "app.hpp"

int main(int argc, char** argv) {
    digit::ServerOptions options;
    options.threads = int(std::max(1u, std::thread::hardware_concurrency()));

    CLI::App cli{"digit-server: handwritten digit recognition over HTTP (API and web UI)"};
    cli.add_option("--model", options.model_path, "Model file written by digit-trainer")->required();
    cli.add_option(
        "--line-model", options.line_model_path,
        "The line reader of /read (default: linenet.cnn beside --model; none: digits only, the old route)");
    cli.add_option("--host", options.host, "Address to listen on")->capture_default_str();
    cli.add_option("--port", options.port, "API port")->capture_default_str()->check(CLI::Range(0, 65535));
    cli.add_option("--ui-port", options.ui_port, "Web UI port (-1: no UI server)")
        ->capture_default_str()
        ->check(CLI::Range(-1, 65535));
    cli.add_option("--ui-dir", options.ui_dir, "Folder of the built web UI")->capture_default_str();
    cli.add_option("--threads", options.threads,
                   "Workers that answer requests in the order they arrive (default: one per core)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    cli.add_option("--heavy-threads", options.heavy_threads,
                   "Workers for batches and large uploads, so that these never hold up the quick ones")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    cli.add_option("--worker-nice", options.worker_nice,
                   "Niceness of the request workers: other processes that need a core briefly go first")
        ->capture_default_str()
        ->check(CLI::Range(0, 19));
    cli.add_option("--max-upload-bytes", options.max_upload_bytes, "Largest request body accepted")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t(1), std::size_t(1) << 31));
    cli.add_option(
        "--feedback-db", options.feedback_db,
        "Keep users' corrections (POST /feedback) here: sqlite:PATH or postgresql://...; off without");
    cli.add_option("--feedback-retention-days", options.feedback_retention_days,
                   "Delete corrections older than this many days")
        ->capture_default_str()
        ->check(CLI::Range(1, 36500));
    cli.add_option("--feedback-per-minute", options.feedback_per_minute,
                   "Corrections a client may send a minute (0: no limit), after a burst of --feedback-burst")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e6));
    cli.add_option("--feedback-burst", options.feedback_burst, "Corrections a client may send at once")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1e6));
    cli.add_option("--feedback-max-rows", options.feedback_max_rows, "Corrections kept at most (then 507)")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 40));
    cli.add_option("--feedback-max-bytes", options.feedback_max_bytes,
                   "Bytes of corrections kept at most (then 507)")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 50));
    cli.add_option("--admin-token-file", options.admin_token_file,
                   "A file holding the operator's bearer token (GET /feedback, /feedback/export, "
                   "POST /admin/reload); off without");
    CLI11_PARSE(cli, argc, argv);

    // glibc gives every thread that allocates its own malloc arena, which multiplies resident memory for
    // nothing (requests allocate little). Two arenas are plenty.
    mallopt(M_ARENA_MAX, 2);

    // Signals are taken by a thread of our own (sigwait), never in a handler, so stopping is orderly.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);                    // reload the model files
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // inherited by every thread started below
    signal(SIGPIPE, SIG_IGN);

    try {
        digit::App app(options);
        app.start();
        try {
            app.load_model();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "digit-server: cannot load model: %s\n", e.what());
            app.stop();
            return 1;
        }
        std::fprintf(stderr, "digit-server: model %s loaded; API on http://%s:%d", options.model_path.c_str(),
                     options.host.c_str(), app.api_port());
        if (app.ui_port() > 0)
            std::fprintf(stderr, ", UI on http://%s:%d", options.host.c_str(), app.ui_port());
        std::fprintf(stderr, "\n");
        std::thread signal_waiter([&app, &stop_signals] {
            for (;;) {
                int signal_number = 0;
                sigwait(&stop_signals, &signal_number);
                if (signal_number == SIGHUP) {
                    std::string problem;
                    app.reload_model(problem);  // logged and counted either way
                    continue;
                }
                std::fprintf(stderr, "digit-server: signal %d, stopping\n", signal_number);
                app.request_stop();
                return;
            }
        });
        app.wait();
        // wait() also returns if a listener fails on its own; make sure the signal thread can finish.
        pthread_kill(signal_waiter.native_handle(), SIGTERM);
        signal_waiter.join();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "digit-server: %s\n", e.what());
        return 1;
    }
}
