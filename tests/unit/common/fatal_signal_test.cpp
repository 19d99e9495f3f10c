// The fatal-signal report, in a forked child that aborts: stderr names the signal and the thread
// and carries a backtrace, and the child still dies of the signal (the exit status an init
// system or the crash test sees).
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "wedesk/common/fatal_signal.hpp"

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // see fatal_signal.cpp
TEST_CASE("a fatal signal is reported with a backtrace and still ends the process", "[unit]") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        wedesk::InstallFatalSignalReport();
        pthread_setname_np(pthread_self(), "wd-test");
        std::abort();
    }
    close(fds[1]);
    std::string err;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) {
        err.append(buf, static_cast<std::size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
    CHECK_THAT(err, Catch::Contains("wedesk: fatal: SIGABRT in thread wd-test; backtrace:"));
    CHECK_THAT(err, Catch::Contains("abort"));  // a frame of the backtrace
}
#endif
