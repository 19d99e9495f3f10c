#include "cli_helpers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace wedesk::testing {

namespace {

void ClosePipe(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

void MakePipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe2 failed");
    }
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& args) {
    int in[2], out[2], err[2];
    MakePipe(in);
    MakePipe(out);
    MakePipe(err);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
    std::vector<std::string> argv_store;
    argv_store.emplace_back(WEDESK_BINARY);
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_store) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, WEDESK_BINARY, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("posix_spawn " + std::string(WEDESK_BINARY) + " failed");
    }
    // A child that exits before reading its stdin must not kill the test with SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    ClosePipe(in_);
    ClosePipe(out_fd_);
    ClosePipe(err_fd_);
}

void ChildProcess::Write(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size() && in_ >= 0) {
        const auto n = ::write(in_, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

void ChildProcess::CloseStdin() { ClosePipe(in_); }

bool ChildProcess::Pump(std::chrono::steady_clock::time_point deadline) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_fd_ >= 0) {
        fds[n++] = {out_fd_, POLLIN, 0};
    }
    if (err_fd_ >= 0) {
        fds[n++] = {err_fd_, POLLIN, 0};
    }
    if (n == 0) {
        return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
        return false;
    }
    const int ready = ::poll(fds, n, static_cast<int>(left.count()));
    if (ready < 0) {
        return errno == EINTR;
    }
    for (nfds_t i = 0; i < n; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
            continue;
        }
        char buf[4096];
        const auto got = ::read(fds[i].fd, buf, sizeof buf);
        const bool is_out = fds[i].fd == out_fd_;
        if (got <= 0) {
            ClosePipe(is_out ? out_fd_ : err_fd_);
            continue;
        }
        (is_out ? out_ : err_).append(buf, static_cast<std::size_t>(got));
    }
    return true;
}

bool ChildProcess::ReadUntil(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out_.find(needle) == std::string::npos) {
        if (!Pump(deadline)) {
            return out_.find(needle) != std::string::npos;
        }
    }
    return true;
}

void ChildProcess::Signal(int sig) {
    if (pid_ > 0) {
        ::kill(pid_, sig);
    }
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) {
        return exit_code_;
    }
    CloseStdin();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Pump(deadline)) {
    }
    if (out_fd_ >= 0 || err_fd_ >= 0) {  // timed out: it hangs
        ::kill(pid_, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (out_fd_ >= 0 || err_fd_ >= 0) {
        exit_code_ = -1;
    } else if (WIFEXITED(status)) {
        exit_code_ = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        exit_code_ = 128 + WTERMSIG(status);
    }
    return exit_code_;
}

RunResult RunWedesk(const std::vector<std::string>& args, const std::string& stdin_text) {
    ChildProcess child(args);
    child.Write(stdin_text);
    RunResult r;
    r.exit_code = child.Wait();
    r.out = child.out();
    r.err = child.err();
    return r;
}

std::string WriteConfig(const std::string& dir, const nlohmann::json& j, const std::string& name) {
    const auto path = dir + "/" + name;
    WriteFile(path, "// written by cli_test\n" + j.dump(2) + "\n");
    return path;
}

void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
        throw std::runtime_error("cannot write " + path);
    }
}

int FreeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    ::close(fd);
    if (port <= 0) {
        throw std::runtime_error("no free port");
    }
    return port;
}

}  // namespace wedesk::testing
