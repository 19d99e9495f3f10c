#pragma once
/// Helpers for the CLI tests: run the real `wedesk` binary (WEDESK_BINARY) as a child process
/// with pipes on stdin, stdout and stderr, and write config files for it.

#include <sys/types.h>
#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wedesk::testing {

struct RunResult {
    int exit_code = -1;  ///< 128 + signal when killed by a signal, -1 when it hung
    std::string out;
    std::string err;
};

/// A running `wedesk ARGS...`; killed (SIGKILL) and reaped on destruction if still running.
class ChildProcess final {
public:
    explicit ChildProcess(const std::vector<std::string>& args);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    void Write(const std::string& text);
    void CloseStdin();
    /// Reads stdout until it contains `needle` (anywhere in what was read so far) or `timeout`
    /// passes or stdout ends; true when found.
    bool ReadUntil(const std::string& needle,
                   std::chrono::milliseconds timeout = std::chrono::seconds(15));
    void Signal(int sig);
    /// Reads stdout and stderr to their end and reaps the child; the exit code (see RunResult).
    /// After `timeout` the child is killed and -1 returned.
    int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }

private:
    /// One poll round over the open output pipes; false when both are closed or time is up.
    bool Pump(std::chrono::steady_clock::time_point deadline);

    pid_t pid_ = -1;
    int in_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_;
    std::string err_;
    int exit_code_ = -1;
};

/// Runs `wedesk ARGS...` to completion with `stdin_text` on its stdin.
RunResult RunWedesk(const std::vector<std::string>& args, const std::string& stdin_text = "");

/// Writes `j` as a config file `name` in `dir`; returns its path.
std::string WriteConfig(const std::string& dir, const nlohmann::json& j,
                        const std::string& name = "wedesk.json");

/// Writes `text` to `path`.
void WriteFile(const std::string& path, const std::string& text);

/// A TCP port on 127.0.0.1 that was free a moment ago (for a child process that needs a fixed
/// port in its config).
int FreeLoopbackPort();

}  // namespace wedesk::testing
