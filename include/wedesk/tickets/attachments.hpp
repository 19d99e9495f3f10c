#pragma once
/// Attachments: keeps the files people send for a ticket. WeCom's media_id lives 3 days, so a
/// new attachment (state pending, written by TicketService) is fetched at once by `RunOnce`,
/// a pass on a background thread, never inside a write transaction: media/get under the API
/// deadline and the size cap, written below `tickets.attachments.dir` as
/// YYYY/MM/<ticket no>-<id>.<ext> (temporary file, then rename), its sha256 recorded. The
/// stored file is then forwarded to the ticket's assignee (Notifier::SendFile: the outbox
/// uploads it with media/upload). Network failures are retried with backoff; an expired id or
/// a file over the cap is recorded as failed with the reason. `Purge` deletes the files of
/// tickets closed or cancelled more than retention_days ago. Run one pass at a time (one
/// background thread; tests call RunOnce directly).

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/media.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::tickets {

/// What one fetch pass did.
struct FetchReport {
    int stored = 0;
    int failed = 0;   ///< given up (expired, too large, too many tries)
    int retried = 0;  ///< rescheduled after a transient failure
    /// When the next pending attachment is due (unix s), if any.
    std::optional<std::int64_t> next_due;
};

/// Attempts before a transiently failing fetch is given up (about 2 hours with the backoff).
inline constexpr int kMaxFetchTries = 8;

class Attachments final {
public:
    Attachments(store::Database& db, const config::AttachmentsConfig& cfg, Notifier& notifier,
                Clock& clock, MediaSource& source);

    /// Fetches every pending attachment that is due. Database failures throw (the pass stops;
    /// the attachment stays pending and is fetched again).
    FetchReport RunOnce();
    /// Deletes the stored files of tickets closed or cancelled more than retention_days ago
    /// (state purged); returns how many. Nothing when retention_days is 0.
    int Purge();
    /// The absolute path of a stored attachment.
    std::filesystem::path PathOf(const Attachment& a) const;

private:
    struct Pending;
    void Fetch(const Pending& p, FetchReport& out);
    void Store(const Pending& p, const MediaFile& media);
    void Reschedule(const Pending& p, const Error& e, FetchReport& out);

    store::Database& db_;
    const config::AttachmentsConfig& cfg_;
    Notifier& notifier_;
    Clock& clock_;
    MediaSource& source_;
    std::mutex run_mu_;  // one pass at a time
};

/// "图片", "语音", "视频" or "文件".
std::string AttachmentWord(const std::string& type);
/// "图片 photo.jpg · 12.3 KB · sha256 1a2b3c4d… · 已保存" for admin and chat listings.
std::string DescribeAttachment(const Attachment& a);

}  // namespace wedesk::tickets
