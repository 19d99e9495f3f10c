#pragma once
/// Intent recognition: what a person means by one chat message, before any dialog state is
/// looked at. A strict command (command.hpp), small talk (greetings, 在吗, thanks, goodbye, ok),
/// a wish to reset a password or unlock an account said in a sentence ("密码忘了怎么办"), a
/// question too vague to act on ("密码"), a question for another department ("报销流程怎么走",
/// unless it is about a system: "报销系统打不开" is IT's), or — everything else — a problem
/// description or question for the knowledge base and a ticket. Engineer commands count only for IT
/// staff: an employee's "下班后家里VPN连不上" or "完成" is a problem description, not a command.
/// Table-driven and pure; tests/data/intents.tsv is the corpus it is held to.

#include <string>
#include <string_view>

#include "wedesk/bot/command.hpp"

namespace wedesk::bot {

enum class IntentKind {
    kEmpty,        ///< nothing but white space
    kCommand,      ///< `command` says which
    kGreeting,     ///< 你好, 早上好, hi
    kPresence,     ///< 在吗, 有人吗
    kThanks,       ///< 谢谢, 辛苦了
    kBye,          ///< 再见, 拜拜
    kAck,          ///< 好的, 嗯, ok, 收到
    kResetOffer,   ///< a forgotten or expired password, said in a sentence
    kUnlockOffer,  ///< a locked account, said in a sentence
    kAccountAsk,   ///< "密码", "账号": reset, unlock or something else? ask
    kNotIt,        ///< expenses, leave, canteen, weather: not the IT desk's (`topic` says whose)
    kProblem,      ///< a description or question: knowledge base, then a ticket
};

struct IntentContext {
    bool staff = false;  ///< engineer, lead or admin: engineer commands apply
};

struct Intent {
    IntentKind kind = IntentKind::kProblem;
    Command command;  ///< for kCommand
    /// kNotIt: the subject and who handles it, e.g. {"报销", "财务"}.
    std::string topic;
    std::string owner;
};

Intent Classify(std::string_view text, const IntentContext& ctx);

/// "command.query", "command.query.missing", "greeting", "problem" …: for logs and the corpus.
std::string IntentLabel(const Intent& intent);

}  // namespace wedesk::bot
