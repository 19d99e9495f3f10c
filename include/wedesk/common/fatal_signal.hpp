#pragma once
/// Fatal-signal report: when the server dies of SIGSEGV, SIGABRT (a failed assertion, an
/// uncaught exception), SIGBUS, SIGFPE or SIGILL, the signal's name, the thread's name and a
/// backtrace go to stderr (journald, the crash test's log) before the default action ends the
/// process with the same signal. Not installed under sanitizers, which report these themselves.

namespace wedesk {

/// Installs the handlers; call once at start-up, before any thread starts.
void InstallFatalSignalReport();

}  // namespace wedesk
