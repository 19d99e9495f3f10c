#include "wedesk/app/message_pipeline.hpp"

#include <SQLiteCpp/Exception.h>

#include "wedesk/common/log.hpp"
#include "wedesk/common/metrics.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/store/inbound_log.hpp"

namespace wedesk::app {

namespace {

constexpr std::size_t kMaxTextReplyBytes = 2048;  // WeCom truncates longer passive texts

std::string KindName(wecom::PassiveReply::Kind k) {
    switch (k) {
        case wecom::PassiveReply::Kind::kText:
            return "text";
        case wecom::PassiveReply::Kind::kUpdateButton:
            return "update_button";
        case wecom::PassiveReply::Kind::kNone:
            break;
    }
    return "";
}

wecom::PassiveReply::Kind KindFrom(const std::string& s) {
    if (s == "text") {
        return wecom::PassiveReply::Kind::kText;
    }
    if (s == "update_button") {
        return wecom::PassiveReply::Kind::kUpdateButton;
    }
    return wecom::PassiveReply::Kind::kNone;
}

void Count(const std::string& outcome) {
    metrics::Global()
        .GetCounter("wedesk_messages_total", "Decrypted messages by processing outcome",
                    {{"outcome", outcome}})
        .Inc();
}

}  // namespace

MessagePipeline::MessagePipeline(store::Database& db, bot::Bot& bot, const Sealer& sealer,
                                 const Clock& clock, Random& random)
    : db_(db), bot_(bot), sealer_(sealer), clock_(clock), random_(random) {}

Result<wecom::PassiveReply> MessagePipeline::Handle(const wecom::InboundMessage& message) {
    const std::string key = message.DedupeKey();
    try {
        store::WriteTx tx(db_);
        store::InboundLog log(db_);
        if (auto seen = log.Find(key)) {
            Count("duplicate");
            log::Get("pipeline")->info("duplicate delivery {} answered from the log", key);
            wecom::PassiveReply r;
            r.kind = KindFrom(seen->kind);
            if (seen->sealed) {
                auto opened = sealer_.Open(seen->body);
                if (!opened.ok()) {
                    return Fail("internal", "stored reply cannot be opened");
                }
                r.text = std::move(opened.value());
            } else {
                r.text = seen->body;
            }
            return r;
        }
        bot::BotReply reply = bot_.Handle(message);
        if (reply.passive.kind == wecom::PassiveReply::Kind::kText) {
            reply.passive.text = text::TruncateUtf8(reply.passive.text, kMaxTextReplyBytes);
        }
        store::LoggedReply logged;
        logged.kind = KindName(reply.passive.kind);
        logged.sealed = reply.sensitive;
        logged.body =
            reply.sensitive ? sealer_.Seal(reply.passive.text, random_) : reply.passive.text;
        log.Insert(key, message.from_user, message.raw_type, clock_.NowSeconds(), logged);
        tx.Commit();
        Count("processed");
        if (on_commit_) {
            on_commit_();
        }
        return reply.passive;
    } catch (const std::exception& e) {
        // Nothing was committed: WeCom will deliver the message again.
        Count("failed");
        log::Get("pipeline")->error("processing {} failed: {}", key, e.what());
        return Fail("internal", "processing failed");
    }
}

}  // namespace wedesk::app
