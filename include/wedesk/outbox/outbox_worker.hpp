#pragma once
/// OutboxWorker: the background sender of the outbox. Each pass sends due rows in id order per
/// user through wecom::ApiClient; a user's next message waits for the previous one (order is
/// kept). Pacing: at most `per_minute` (30) and `per_hour` (1000) messages to one member in a
/// sliding window, as WeCom silently drops the excess; a message over the limit is delayed,
/// never dropped. Retryable failures back off exponentially with jitter; permanent ones (or
/// `max_attempts` failures) park the row. The attempt is recorded before the request, so after
/// a crash between send and acknowledgement the resend carries enable_duplicate_check with an
/// interval covering the first attempt, and WeCom drops the copy. An acknowledged row is never
/// sent again. Run exactly one worker per database.
///
/// All time comes from Clock; tests drive `RunOnce()` with a FakeClock instead of Start().

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/wecom/api_client.hpp"

namespace wedesk::outbox {

struct WorkerOptions {
    int max_attempts = 15;                 ///< failures before parking (~75 min with the defaults)
    int base_backoff_s = 2;                ///< first retry after ~2 s, doubling
    int max_backoff_s = 600;               ///< cap of one delay
    int per_minute = 30;                   ///< messages to one member per sliding minute
    int per_hour = 1000;                   ///< ... per sliding hour
    int batch = 500;                       ///< pending rows looked at per pass
    std::chrono::milliseconds poll{1000};  ///< longest real-time wait between passes
    /// Fault injection for tests: called after WeCom accepted row `id`, before it is marked
    /// sent; returning false abandons the pass there as if the process had crashed.
    std::function<bool(std::int64_t id)> after_send_hook;
};

/// What one pass did.
struct PassResult {
    int sent = 0;
    int failed = 0;  ///< retryable failures (rescheduled)
    int parked = 0;
    /// Earliest unix second when something pending becomes sendable (nullopt: nothing pending).
    std::optional<std::int64_t> next_due;
};

class OutboxWorker final {
public:
    OutboxWorker(store::Database& db, wecom::ApiClient& api, Clock& clock, Random& random,
                 WorkerOptions options = {});
    ~OutboxWorker();
    OutboxWorker(const OutboxWorker&) = delete;
    OutboxWorker& operator=(const OutboxWorker&) = delete;

    /// Starts the background thread (no-op when running).
    void Start();
    /// Wakes the thread, lets an in-flight request finish (bounded by the API timeout), ends
    /// the pass there and joins. Idempotent; a later RunOnce() still works.
    void Stop();
    /// Wakes the thread for an immediate pass (after an enqueue).
    void Kick();

    /// One pass over what is due now. Thread-safe against the background thread.
    PassResult RunOnce();

private:
    void Loop();
    std::int64_t Backoff(int attempts);

    store::Database& db_;
    wecom::ApiClient& api_;
    Clock& clock_;
    Random& random_;
    WorkerOptions opts_;

    std::mutex run_mu_;  // one pass at a time
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool kicked_ = false;
    std::atomic<bool> stopping_{false};  // read by a pass in progress
    std::thread thread_;
};

}  // namespace wedesk::outbox
