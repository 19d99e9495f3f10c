// Attachments: fetching the files of new attachments from WeCom before their media_id expires,
// storing them, forwarding them to the assignee, and deleting old ones; and 附件 NO
// (TicketService::SendAttachments), which sends a ticket's stored files to whoever asks.
#include "wedesk/tickets/attachments.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <system_error>

#include "tickets/internal.hpp"
#include "wedesk/common/digest.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"

namespace wedesk::tickets {

using namespace detail;

namespace {

constexpr int kBatch = 32;
constexpr std::int64_t kFirstRetryS = 30;
constexpr std::int64_t kMaxRetryS = 3600;

std::shared_ptr<spdlog::logger> Log() { return log::Get("tickets"); }

/// ".jpg" for "photo.JPG"; "" when the name has no short extension.
std::string ExtensionOf(const std::string& name) {
    const auto dot = name.find_last_of('.');
    if (dot == std::string::npos || name.size() - dot > 8 || dot + 1 == name.size()) {
        return "";
    }
    std::string ext = text::AsciiLower(name.substr(dot));
    const bool plain = std::all_of(ext.begin() + 1, ext.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
    return plain ? ext : "";
}

std::string ExtensionFor(const std::string& content_type, const std::string& type) {
    const std::string ct = text::AsciiLower(content_type);
    if (ct.find("jpeg") != std::string::npos) {
        return ".jpg";
    }
    for (const char* known : {"png", "gif", "bmp", "webp", "amr", "mp4", "pdf"}) {
        if (ct.find(known) != std::string::npos) {
            return std::string(".") + known;
        }
    }
    if (type == "image") {
        return ".jpg";
    }
    if (type == "voice") {
        return ".amr";
    }
    return type == "video" ? ".mp4" : ".bin";
}

/// WeCom's "invalid media_id": what media/get answers once the 3 days are over.
bool WecomExpired(const Error& e) { return e.code == Errc::kWecom && e.detail == 40007; }

std::string Size(std::int64_t bytes) {
    if (bytes < 1024) {
        return std::to_string(bytes) + " B";
    }
    if (bytes < 1024 * 1024) {
        return fmt::format("{:.1f} KB", static_cast<double>(bytes) / 1024);
    }
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024 * 1024));
}

}  // namespace

std::string AttachmentWord(const std::string& type) {
    if (type == "image") {
        return "图片";
    }
    if (type == "voice") {
        return "语音";
    }
    return type == "video" ? "视频" : "文件";
}

std::string DescribeAttachment(const Attachment& a) {
    std::string out = AttachmentWord(a.type);
    if (!a.file_name.empty()) {
        out += " " + a.file_name;
    }
    if (a.state == "stored") {
        out += " · " + Size(a.size_bytes) + " · sha256 " + a.sha256.substr(0, 12) + "…";
        return out;
    }
    if (a.state == "pending") {
        return out + " · 正在获取";
    }
    if (a.state == "purged") {
        return out + " · 已按保留期限删除";
    }
    return out + " · 获取失败" + (a.error.empty() ? "" : "（" + a.error + "）");
}

struct Attachments::Pending {
    std::int64_t id = 0;
    std::int64_t ticket_id = 0;
    std::string no;
    std::string media_id;
    std::string type;
    std::string file_name;
    std::string added_by;
    std::int64_t added_at = 0;
    int tries = 0;
};

Attachments::Attachments(store::Database& db, const config::AttachmentsConfig& cfg,
                         Notifier& notifier, Clock& clock, MediaSource& source)
    : db_(db), cfg_(cfg), notifier_(notifier), clock_(clock), source_(source) {}

std::filesystem::path Attachments::PathOf(const Attachment& a) const {
    return std::filesystem::path(cfg_.dir) / a.path;
}

FetchReport Attachments::RunOnce() {
    std::lock_guard run(run_mu_);
    FetchReport out;
    const auto now = clock_.NowSeconds();
    std::vector<Pending> due;
    {
        store::Query q(
            db_.Conn(),
            "SELECT a.id, a.ticket_id, t.no, a.media_id, a.media_type, a.file_name, "
            "a.added_at, a.tries, a.added_by FROM ticket_attachments a JOIN tickets t ON "
            "t.id = a.ticket_id WHERE a.state = 'pending' AND a.next_try_at <= ? "
            "ORDER BY a.next_try_at, a.id LIMIT ?");
        q.bind(1, now);
        q.bind(2, kBatch);
        while (q.executeStep()) {
            Pending p;
            p.id = q.getColumn(0).getInt64();
            p.ticket_id = q.getColumn(1).getInt64();
            p.no = q.getColumn(2).getString();
            p.media_id = q.getColumn(3).getString();
            p.type = q.getColumn(4).getString();
            p.file_name = q.getColumn(5).getString();
            p.added_at = q.getColumn(6).getInt64();
            p.tries = q.getColumn(7).getInt();
            p.added_by = q.getColumn(8).getString();
            due.push_back(std::move(p));
        }
    }
    for (const auto& p : due) {
        Fetch(p, out);  // the download is outside any transaction
    }
    store::Query next(db_.Conn(),
                      "SELECT MIN(next_try_at) FROM ticket_attachments WHERE state = 'pending'");
    if (next.executeStep() && !next.getColumn(0).isNull()) {
        out.next_due = next.getColumn(0).getInt64();
    }
    return out;
}

void Attachments::Fetch(const Pending& p, FetchReport& out) {
    const auto max_bytes = static_cast<std::size_t>(cfg_.max_mb) * 1024 * 1024;
    auto media = source_.Download(p.media_id, max_bytes);
    if (!media) {
        Reschedule(p, media.error(), out);
        return;
    }
    Store(p, *media);
    ++out.stored;
}

void Attachments::Store(const Pending& p, const MediaFile& media) {
    // Where: YYYY/MM of when it was sent, named by ticket and attachment (unique, so a pass
    // that dies after writing simply writes the same file again).
    const auto day = sla::LocalDate(0, p.added_at);  // "20261203" (UTC)
    std::string name = p.file_name;
    if (name.empty()) {
        name = AttachmentWord(p.type) + "-" + std::to_string(p.id) +
               (ExtensionOf(media.file_name).empty() ? ExtensionFor(media.content_type, p.type)
                                                     : ExtensionOf(media.file_name));
    }
    std::string ext = ExtensionOf(name);
    if (ext.empty()) {
        ext = ExtensionFor(media.content_type, p.type);
    }
    const std::string rel =
        day.substr(0, 4) + "/" + day.substr(4, 2) + "/" + p.no + "-" + std::to_string(p.id) + ext;
    const auto path = std::filesystem::path(cfg_.dir) / rel;
    const auto part = path.string() + ".part";
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    {
        std::ofstream f(part, std::ios::binary | std::ios::trunc);
        f.write(media.bytes.data(), static_cast<std::streamsize>(media.bytes.size()));
        f.flush();
        if (!f) {
            throw std::runtime_error("cannot write " + part);
        }
    }
    std::filesystem::rename(part, path);  // throws on failure: the attachment stays pending
    const std::string sha = Sha256Hex(media.bytes);

    (void)RunStep<bool>(db_, notifier_, clock_.NowSeconds(), [&](Step& s) -> Result<bool> {
        store::Query u(s.conn,
                       "UPDATE ticket_attachments SET state = 'stored', path = ?, size_bytes = ?, "
                       "sha256 = ?, content_type = ?, file_name = ?, error = '' "
                       "WHERE id = ? AND state = 'pending'");
        u.bind(1, rel);
        u.bind(2, static_cast<std::int64_t>(media.bytes.size()));
        u.bind(3, sha);
        u.bind(4, text::TruncateUtf8(media.content_type, 100));
        u.bind(5, name);
        u.bind(6, p.id);
        if (u.exec() == 0) {
            return false;  // purged or handled meanwhile
        }
        store::Query t(s.conn,
                       "SELECT t.assignee, a.added_by FROM tickets t JOIN ticket_attachments a "
                       "ON a.ticket_id = t.id WHERE a.id = ? AND t.status NOT IN "
                       "('closed', 'cancelled')");
        t.bind(1, p.id);
        if (t.executeStep()) {
            const std::string assignee = t.getColumn(0).getString();
            const std::string by = t.getColumn(1).getString();
            if (!assignee.empty() && assignee != by) {
                s.Text(assignee, "工单 " + p.no + "：" + Names(s.conn, by) + " 发来的" +
                                     AttachmentWord(p.type) + "（" + name + "）如下。");
                s.SendFile(assignee, FileMessage{p.type, std::filesystem::absolute(path).string(),
                                                 name, media.content_type});
            }
        }
        return true;
    });
    Log()->info("attachment {} of {} stored ({} bytes)", p.id, p.no, media.bytes.size());
}

void Attachments::Reschedule(const Pending& p, const Error& e, FetchReport& out) {
    const int tries = p.tries + 1;
    const bool give_up = !source_.Retryable(e) || tries >= kMaxFetchTries;
    std::string why =
        e.code == Errc::kTooLarge
            ? "文件超过 " + std::to_string(cfg_.max_mb) + " MB"
            : (WecomExpired(e) ? "企业微信中已过期" : "获取失败（" + e.CodeText() + "）");
    const std::int64_t delay = std::min(kMaxRetryS, kFirstRetryS << std::min(tries - 1, 20));
    (void)RunStep<bool>(db_, notifier_, clock_.NowSeconds(), [&](Step& s) -> Result<bool> {
        store::Query u(s.conn,
                       "UPDATE ticket_attachments SET tries = ?, next_try_at = ?, error = ?, "
                       "state = CASE WHEN ? THEN 'failed' ELSE state END "
                       "WHERE id = ? AND state = 'pending'");
        u.bind(1, tries);
        u.bind(2, s.now + delay);
        u.bind(3, why);
        u.bind(4, give_up ? 1 : 0);
        u.bind(5, p.id);
        if (u.exec() > 0 && give_up) {
            // Whoever sent it should know it did not arrive, and why.
            s.Text(p.added_by,
                   "您为工单 " + p.no + " 发送的" + AttachmentWord(p.type) +
                       (p.file_name.empty() ? "" : "（" + p.file_name + "）") + "没能保存：" + why +
                       (e.code == Errc::kTooLarge ? "。请压缩后重新发送。" : "。请重新发送一次。"));
        }
        return true;
    });
    if (give_up) {
        ++out.failed;
        Log()->warn("attachment {} of {} not fetched: {}", p.id, p.no, e.message);
    } else {
        ++out.retried;
    }
}

int Attachments::Purge() {
    if (cfg_.retention_days <= 0) {
        return 0;
    }
    const auto before =
        clock_.NowSeconds() - static_cast<std::int64_t>(cfg_.retention_days) * 86400;
    std::vector<std::pair<std::int64_t, std::string>> old;
    {
        store::Query q(db_.Conn(),
                       "SELECT a.id, a.path FROM ticket_attachments a JOIN tickets t ON "
                       "t.id = a.ticket_id WHERE a.state = 'stored' AND t.status IN "
                       "('closed', 'cancelled') AND t.updated_at < ? LIMIT 500");
        q.bind(1, before);
        while (q.executeStep()) {
            old.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString());
        }
    }
    int purged = 0;
    for (const auto& [id, rel] : old) {
        std::error_code ec;
        std::filesystem::remove(std::filesystem::path(cfg_.dir) / rel, ec);
        if (ec) {
            Log()->warn("cannot delete attachment file {}: {}", rel, ec.message());
            continue;
        }
        store::WriteTx tx(db_);
        store::Query u(tx.Conn(),
                       "UPDATE ticket_attachments SET state = 'purged' WHERE id = ? AND "
                       "state = 'stored'");
        u.bind(1, id);
        purged += u.exec() > 0 ? 1 : 0;
        tx.Commit();
    }
    if (purged > 0) {
        Log()->info("{} attachment file(s) past the retention of {} days deleted", purged,
                    cfg_.retention_days);
    }
    return purged;
}

Result<int> TicketService::SendAttachments(const std::string& no, const std::string& viewer) {
    const Env env{cfg_, calendar_, modes_};
    const std::string n = NormNo(no);
    const std::string who = NormUser(viewer);
    int sent = 0;
    auto r = OnTicket(
        db_, notifier_, clock_.NowSeconds(), env, n, who,
        [&](Step& s, const Ticket& t, const Relation& rel) -> Result<Ticket> {
            if (!rel.CanView()) {
                return NotFound(n);
            }
            for (const auto& a : t.attachments) {
                if (a.state != "stored") {
                    continue;
                }
                s.SendFile(who,
                           FileMessage{a.type,
                                       std::filesystem::absolute(
                                           std::filesystem::path(cfg_.attachments.dir) / a.path)
                                           .string(),
                                       a.file_name, a.content_type});
                ++sent;
            }
            if (sent == 0) {
                return Fail(Errc::kNotFound, t.attachments.empty()
                                                 ? "工单 " + n + " 没有附件。"
                                                 : "工单 " + n + " 的附件还没有可发送的文件。");
            }
            return t;
        });
    if (!r) {
        return r.error();
    }
    return sent;
}

}  // namespace wedesk::tickets
