#pragma once
/// Thread names for operators and profilers: `top -H`, `perf report --sort comm` and gdb show
/// which wedesk thread is busy (wd-http, wd-outbox, wd-ticker, ...). Linux truncates to 15 bytes.

namespace wedesk {

/// Names the calling thread (best effort; errors are ignored).
void SetThreadName(const char* name);

}  // namespace wedesk
