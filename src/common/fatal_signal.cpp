#include "wedesk/common/fatal_signal.hpp"

#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <initializer_list>

// The sanitizers install their own handlers, which give a better report: keep out of their way.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WEDESK_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WEDESK_UNDER_SANITIZER 1
#endif
#endif

namespace wedesk {

#ifndef WEDESK_UNDER_SANITIZER
namespace {

// Only async-signal-safe calls below (write, backtrace after it was warmed up, raise).
void Put(const char* s) {
    const auto n = std::strlen(s);
    auto rc = ::write(STDERR_FILENO, s, n);
    (void)rc;
}

const char* SignalName(int sig) {
    switch (sig) {
        case SIGSEGV:
            return "SIGSEGV";
        case SIGABRT:
            return "SIGABRT";
        case SIGBUS:
            return "SIGBUS";
        case SIGFPE:
            return "SIGFPE";
        case SIGILL:
            return "SIGILL";
        default:
            return "a fatal signal";
    }
}

void OnFatalSignal(int sig) {
    char thread[16] = "?";
    pthread_getname_np(pthread_self(), thread, sizeof thread);
    Put("wedesk: fatal: ");
    Put(SignalName(sig));
    Put(" in thread ");
    Put(thread);
    Put("; backtrace:\n");
    void* frames[64];
    const int n = backtrace(frames, 64);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    // SA_RESETHAND restored the default action: end the process with the same signal.
    raise(sig);
}

}  // namespace
#endif

void InstallFatalSignalReport() {
#ifndef WEDESK_UNDER_SANITIZER
    void* warm[1];
    backtrace(warm, 1);  // loads libgcc's unwinder now, not inside a signal handler
    struct sigaction sa {};
    sa.sa_handler = OnFatalSignal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) {
        sigaction(sig, &sa, nullptr);
    }
#endif
}

}  // namespace wedesk
