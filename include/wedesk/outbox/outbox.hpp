#pragma once
/// Outbox: the durable queue of app messages to WeCom users. `Outbox` (the production Notifier)
/// INSERTs each message on the calling thread's connection, so it commits or rolls back with the
/// caller's open transaction (it never BEGINs itself). `OutboxWorker` (outbox_worker.hpp) sends
/// what is due. Admin views (`Stats`, `List`, `Retry`) back `wedesk admin outbox` and /metrics.
///
/// Rows live in table `outbox` (src/store/schema_outbox.cpp): status pending → sent, or parked
/// after a permanent error or too many attempts (un-parked by Retry).

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/common/seal.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/sql.hpp"

namespace wedesk::metrics {
class Registry;
}

namespace wedesk::outbox {

/// The body field of a queued file message naming the stored file (path, name,
/// content_type); the worker replaces it by the uploaded media_id before sending.
inline constexpr const char* kUploadField = "wedesk_file";

/// One outbox row.
struct OutboxEntry {
    std::int64_t id = 0;
    std::string userid;
    std::string kind;  ///< "send" | "update_card"
    /// text | markdown | template_card | update_template_card | image | voice | video | file
    std::string msgtype;
    std::string body;     ///< request JSON without touser/agentid; "(sealed)" for a sealed row
    std::string task_id;  ///< template cards and their updates
    std::string status;   ///< "pending" | "sent" | "parked"
    int attempts = 0;
    std::int64_t next_attempt_at = 0;
    std::int64_t first_attempt_at = 0;
    std::int64_t created_at = 0;
    std::int64_t sent_at = 0;
    std::string msgid;
    std::string response_code;
    std::string last_error;  ///< error code and message of the last failure (no secrets)
};

struct OutboxStats {
    std::int64_t pending = 0;
    std::int64_t parked = 0;
    std::int64_t sent = 0;
};

class Outbox final : public Notifier {
public:
    /// `sealer` and `random` seal SendSecretText bodies (without them it throws).
    Outbox(store::Database& db, Clock& clock, const Sealer* sealer = nullptr,
           Random* random = nullptr);

    // Notifier: each call is one INSERT on db.Conn() of the calling thread. A database failure
    // throws (store::Error) so the caller's transaction rolls back as a whole.
    void SendText(const std::string& userid, const std::string& text) override;
    /// Stored sealed (OutboxWorker opens it with the same key); erased once sent.
    void SendSecretText(const std::string& userid, const std::string& text) override;
    void SendMarkdown(const std::string& userid, const std::string& markdown) override;
    /// Rendered as WeCom's template card (wecom::TemplateCard). A card without an id cannot
    /// be matched to its clicks: it is stored parked (a bug in the caller must not lose the rest
    /// of its step) and logged.
    void SendCard(const std::string& userid, const Card& card) override;

    /// Stored as a message of type `file.type` naming the file; the worker uploads the file
    /// (media/upload) and sends the fresh media_id. A file that is gone by then parks the row.
    void SendFile(const std::string& userid, const FileMessage& file) override;

    /// Queues message/update_template_card greying out the buttons of the card `task_id` sent to
    /// `userid`, showing `replace_name`. `response_code` from a click callback is used when given;
    /// otherwise the one stored when the card was sent (single-use). Delivered after the card.
    void UpdateCard(const std::string& userid, const std::string& task_id,
                    const std::string& replace_name, const std::string& response_code = "");
    /// Notifier: an UpdateCard for whoever was sent the card `task_id`, when WeCom can still
    /// update it: the card is queued (the update follows it) or was sent less than 71 h ago
    /// (response_code lives 72 h) with its response_code unspent. Otherwise nothing is queued.
    void RetireCard(const std::string& task_id, const std::string& replace_name) override;

    /// Called after every enqueue (e.g. OutboxWorker::Kick). Runs before the caller commits, so
    /// the worker also polls; app/ may Kick again after its commit.
    void SetOnEnqueue(std::function<void()> fn);

    OutboxStats Stats();
    /// Rows with `status` ("" = any), newest first, at most `limit`.
    std::vector<OutboxEntry> List(const std::string& status, int limit = 100);
    Result<OutboxEntry> Get(std::int64_t id);
    /// Un-parks a parked row: due now, with a fresh attempt budget. "not_found" / "not_parked".
    Result<void> Retry(std::int64_t id);
    /// Retry() for every parked message (after a configuration was fixed); its own write
    /// transaction. Returns how many were queued again.
    int RetryParked();
    /// The unused response_code of the card `task_id` sent to `userid` ("" when none).
    std::string ResponseCode(const std::string& task_id, const std::string& userid);

private:
    void Insert(const std::string& userid, const std::string& kind, const std::string& msgtype,
                const std::string& body, const std::string& task_id, const std::string& status,
                const std::string& last_error, bool sealed = false);
    void Notify();

    store::Database& db_;
    Clock& clock_;
    const Sealer* sealer_;
    Random* random_;
    std::mutex mu_;
    std::function<void()> on_enqueue_;
};

/// Adds gauge wedesk_outbox_messages{status="pending|parked|sent"} to `registry`, read from the
/// database at scrape time. `outbox` must outlive the registry's use of it.
void RegisterMetrics(Outbox& outbox, metrics::Registry& registry);

}  // namespace wedesk::outbox
