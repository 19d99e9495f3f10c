#pragma once
/// Notifier: sends an app message to a WeCom user outside the passive reply (ticket updates,
/// engineer cards, reset confirmations). The production implementation (outbox/) writes the
/// message into the outbox table on the calling thread's database connection, so it commits or
/// rolls back with the step that caused it; a background worker delivers it.

#include <string>

#include "wedesk/common/card.hpp"

namespace wedesk {

/// A file kept by wedesk, to be sent as a WeCom image/voice/video/file message. The sender
/// uploads it when it delivers the message (temporary media live 3 days), so a file of any
/// age can be sent.
struct FileMessage {
    std::string type;          ///< image | voice | video | file
    std::string path;          ///< absolute path of the stored file
    std::string name;          ///< shown as the file's name
    std::string content_type;  ///< e.g. "image/png"
};

class Notifier {
public:
    virtual ~Notifier() = default;
    /// Plain text message to one user.
    virtual void SendText(const std::string& userid, const std::string& text) = 0;
    /// Plain text carrying a secret (a temporary password): stored sealed until sent, then
    /// erased, and never logged.
    virtual void SendSecretText(const std::string& userid, const std::string& text) = 0;
    /// Markdown message to one user (rendered in the WeCom client).
    virtual void SendMarkdown(const std::string& userid, const std::string& markdown) = 0;
    /// An interactive card (rendered by the messenger: wecom::TemplateCard).
    virtual void SendCard(const std::string& userid, const Card& card) = 0;
    /// A stored file (see FileMessage).
    virtual void SendFile(const std::string& userid, const FileMessage& file) = 0;
    /// The card sent earlier with `task_id` no longer applies (its ticket went to someone else,
    /// or was cancelled): grey out its buttons, showing `replace_name`. Best effort: nothing
    /// happens for a card that is unknown, was never delivered, or is too old to update.
    virtual void RetireCard(const std::string& task_id, const std::string& replace_name) = 0;
};

}  // namespace wedesk
