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
/// Cost and fairness: a pass visits each user with pending messages once through their head
/// message (one index seek per user, migration 8), so a member with thousands of paced
/// messages delays nobody else, and walks on only for users whose head was sent. Bodies are
/// read only for the row being sent. As the worker is the only sender for its database, it
/// keeps each paced member's release time in memory and spends no query on them until then.
/// Kicks are coalesced: the background loop runs at most one kicked pass per
/// `min_pass_interval`, at once when it has been idle that long.
///
/// All time comes from Clock (the loop's real-time waits aside); tests drive `RunOnce()` with a
/// FakeClock instead of Start().

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/seal.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/wecom/api_client.hpp"

namespace wedesk::outbox {

struct WorkerOptions {
    int max_attempts = 15;    ///< failures before parking (~75 min with the defaults)
    int base_backoff_s = 2;   ///< first retry after ~2 s, doubling
    int max_backoff_s = 600;  ///< cap of one delay
    int per_minute = 30;      ///< messages to one member per sliding minute
    int per_hour = 1000;      ///< ... per sliding hour
    /// Most users looked at in one pass (and most further rows of theirs); when more users have
    /// pending messages, the next pass goes on after the last one seen.
    int batch = 500;
    std::chrono::milliseconds poll{1000};  ///< longest real-time wait between passes
    /// Background loop only: a Kick() within this time after a pass ended waits for it to
    /// elapse, and any number of such kicks cause one pass. RunOnce() is never held back.
    std::chrono::milliseconds min_pass_interval{50};
    /// Fault injection for tests: called after WeCom accepted row `id`, before it is marked
    /// sent; returning false abandons the pass there as if the process had crashed.
    std::function<bool(std::int64_t id)> after_send_hook;
    /// While WeCom refuses our configuration, one message is tried this often.
    std::chrono::seconds config_retry{60};
    /// Opens sealed rows (Outbox::SendSecretText, same key); without it they are parked.
    const Sealer* sealer = nullptr;
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
    /// Asks the thread for a pass (after an enqueue): at once when idle for min_pass_interval,
    /// else when it elapsed. Cheap; call it as often as you like.
    void Kick();

    /// One pass over what is due now. Thread-safe against the background thread. Each write is
    /// its own WriteTx, so do not call it while holding one.
    PassResult RunOnce();
    /// Passes run so far (background and RunOnce).
    std::uint64_t Passes() const { return passes_.load(); }
    /// Why sending is paused ("" when it is not): WeCom refused our configuration (e.g.
    /// 60020, the server's IP is not a trusted IP). Nothing is parked meanwhile; the worker
    /// tries one message every `config_retry` and resumes on the first success.
    std::string PausedReason() const;

private:
    class Pass;  // one RunOnce (outbox_worker.cpp)
    void Loop();
    void SetPaused(const std::string& reason);
    std::int64_t Backoff(int attempts);

    store::Database& db_;
    wecom::ApiClient& api_;
    Clock& clock_;
    Random& random_;
    WorkerOptions opts_;

    std::mutex run_mu_;  // one pass at a time; guards the pass state below
    // Paced members: the unix second their next message may go (only entries in the future
    // matter; pruned every pass). Valid because this worker is the only sender.
    std::unordered_map<std::string, std::int64_t> paced_until_;
    std::string user_cursor_;  // a pass that saw `batch` users goes on after this one

    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::atomic<bool> kicked_{false};    // a pass is wanted (set by Kick, cleared by a pass)
    std::atomic<bool> stopping_{false};  // read by a pass in progress
    std::atomic<std::uint64_t> passes_{0};
    mutable std::mutex paused_mu_;
    std::string paused_;  // guarded by paused_mu_: PausedReason()
    std::thread thread_;
};

}  // namespace wedesk::outbox
