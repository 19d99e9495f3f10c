#include "wedesk/bot/intent.hpp"

#include <array>

#include "wedesk/common/text.hpp"

namespace wedesk::bot {

namespace {

struct Said {
    std::string_view text;  // normalised: folded, ASCII lower-case, no trailing punctuation
    IntentKind kind;
};

// Whole messages of small talk (after a trailing particle such as 啊/呀/哈 is dropped).
constexpr std::array kSmallTalk = {
    Said{"你好", IntentKind::kGreeting},
    Said{"您好", IntentKind::kGreeting},
    Said{"你们好", IntentKind::kGreeting},
    Said{"hi", IntentKind::kGreeting},
    Said{"hello", IntentKind::kGreeting},
    Said{"hey", IntentKind::kGreeting},
    Said{"哈喽", IntentKind::kGreeting},
    Said{"哈罗", IntentKind::kGreeting},
    Said{"嗨", IntentKind::kGreeting},
    Said{"早", IntentKind::kGreeting},
    Said{"早上好", IntentKind::kGreeting},
    Said{"上午好", IntentKind::kGreeting},
    Said{"中午好", IntentKind::kGreeting},
    Said{"下午好", IntentKind::kGreeting},
    Said{"晚上好", IntentKind::kGreeting},
    Said{"早安", IntentKind::kGreeting},
    Said{"在吗", IntentKind::kPresence},
    Said{"在么", IntentKind::kPresence},
    Said{"在不在", IntentKind::kPresence},
    Said{"有人吗", IntentKind::kPresence},
    Said{"有人在吗", IntentKind::kPresence},
    Said{"有人么", IntentKind::kPresence},
    Said{"你好在吗", IntentKind::kPresence},
    Said{"您好在吗", IntentKind::kPresence},
    Said{"你好,在吗", IntentKind::kPresence},
    Said{"您好,在吗", IntentKind::kPresence},
    Said{"在", IntentKind::kPresence},
    Said{"在嘛", IntentKind::kPresence},
    Said{"谢谢", IntentKind::kThanks},
    Said{"谢谢你", IntentKind::kThanks},
    Said{"谢谢您", IntentKind::kThanks},
    Said{"多谢", IntentKind::kThanks},
    Said{"感谢", IntentKind::kThanks},
    Said{"非常感谢", IntentKind::kThanks},
    Said{"谢啦", IntentKind::kThanks},
    Said{"谢了", IntentKind::kThanks},
    Said{"辛苦了", IntentKind::kThanks},
    Said{"辛苦", IntentKind::kThanks},
    Said{"好的谢谢", IntentKind::kThanks},
    Said{"好的,谢谢", IntentKind::kThanks},
    Said{"thanks", IntentKind::kThanks},
    Said{"thank you", IntentKind::kThanks},
    Said{"thx", IntentKind::kThanks},
    Said{"3q", IntentKind::kThanks},
    Said{"再见", IntentKind::kBye},
    Said{"拜拜", IntentKind::kBye},
    Said{"bye", IntentKind::kBye},
    Said{"88", IntentKind::kBye},
    Said{"好的", IntentKind::kAck},
    Said{"好", IntentKind::kAck},
    Said{"嗯", IntentKind::kAck},
    Said{"嗯嗯", IntentKind::kAck},
    Said{"ok", IntentKind::kAck},
    Said{"okay", IntentKind::kAck},
    Said{"收到", IntentKind::kAck},
    Said{"知道了", IntentKind::kAck},
    Said{"明白", IntentKind::kAck},
    Said{"明白了", IntentKind::kAck},
    Said{"行", IntentKind::kAck},
    Said{"可以", IntentKind::kAck},
    Said{"好滴", IntentKind::kAck},
    Said{"👌", IntentKind::kAck},
    Said{"👍", IntentKind::kAck},
    Said{"密码", IntentKind::kAccountAsk},
    Said{"账号", IntentKind::kAccountAsk},
    Said{"帐号", IntentKind::kAccountAsk},
    Said{"账号密码", IntentKind::kAccountAsk},
    Said{"密码问题", IntentKind::kAccountAsk},
    Said{"账号问题", IntentKind::kAccountAsk},
};

// Sentence-final particles and punctuation dropped before small talk is looked up.
constexpr std::array kTail = {
    std::string_view{"。"}, std::string_view{"！"}, std::string_view{"？"}, std::string_view{"…"},
    std::string_view{"～"}, std::string_view{"!"},  std::string_view{"?"},  std::string_view{"."},
    std::string_view{"~"},  std::string_view{","},  std::string_view{" "},  std::string_view{"啊"},
    std::string_view{"呀"}, std::string_view{"哈"}, std::string_view{"啦"}, std::string_view{"哦"},
    std::string_view{"喔"}, std::string_view{"呢"},
};

std::string_view DropTail(std::string_view s) { return text::TrimSuffixes(s, kTail); }

// Subjects of other departments, and who handles them. A message naming one is not the IT
// desk's unless it also names something IT looks after (kItWords).
struct Topic {
    std::string_view word;
    std::string_view owner;
};
constexpr std::array kOtherTopics = {
    Topic{"报销", "财务"},     Topic{"借款", "财务"}, Topic{"差旅费", "财务"},
    Topic{"请假", "人事"},     Topic{"年假", "人事"}, Topic{"调休", "人事"},
    Topic{"病假", "人事"},     Topic{"考勤", "人事"}, Topic{"工资", "人事"},
    Topic{"薪资", "人事"},     Topic{"社保", "人事"}, Topic{"公积金", "人事"},
    Topic{"离职手续", "人事"}, Topic{"食堂", "行政"}, Topic{"午饭", "行政"},
    Topic{"吃什么", "行政"},   Topic{"班车", "行政"}, Topic{"快递", "行政"},
    Topic{"停车", "行政"},     Topic{"机票", "行政"}, Topic{"订票", "行政"},
    Topic{"天气", ""},         Topic{"股票", ""},     Topic{"笑话", ""},
    Topic{"去哪玩", ""},
};
constexpr std::array kItWords = {
    std::string_view{"系统"},   std::string_view{"电脑"},   std::string_view{"软件"},
    std::string_view{"打不开"}, std::string_view{"登录"},   std::string_view{"登不上"},
    std::string_view{"报错"},   std::string_view{"网"},     std::string_view{"打印"},
    std::string_view{"账号"},   std::string_view{"密码"},   std::string_view{"邮箱"},
    std::string_view{"权限"},   std::string_view{"卡住"},   std::string_view{"连不上"},
    std::string_view{"app"},    std::string_view{"oa"},     std::string_view{"erp"},
    std::string_view{"闪退"},   std::string_view{"用不了"}, std::string_view{"无法"},
    std::string_view{"不能用"}, std::string_view{"页面"},   std::string_view{"扫描"},
    std::string_view{"不了"},   std::string_view{"机器"},
};

// A locked account, said in a sentence ("密码输错好几次账号被锁了").
bool SaysLocked(std::string_view s) {
    return text::ContainsAny(
        s, {"账号被锁", "帐号被锁", "账户被锁", "账号锁", "帐号锁", "账户锁", "被锁定", "锁定了",
            "锁住了", "解锁", "account locked", "locked out"});
}

// A forgotten or expired password, said in a sentence ("密码忘了怎么办", "域密码过期了").
bool SaysForgotten(std::string_view s) {
    if (text::ContainsAny(
            s, {"忘记密码", "忘了密码", "忘记了密码", "记不得密码", "记不住密码", "想不起密码",
                "重置密码", "重置一下密码", "重置下密码", "密码重置", "找回密码", "forgot password",
                "forgot my password", "reset password", "reset my password"})) {
        return true;
    }
    const auto at = s.find("密码");
    if (at == std::string_view::npos) {
        return false;
    }
    const std::string_view after = s.substr(at + std::string_view("密码").size());
    return text::ContainsAny(after, {"忘", "记不", "想不起", "过期", "到期", "失效"});
}

}  // namespace

Intent Classify(std::string_view raw, const IntentContext& ctx) {
    Intent out;
    const std::string norm = text::NormalizeCommand(raw);
    if (norm.empty()) {
        out.kind = IntentKind::kEmpty;
        return out;
    }
    Command cmd = ParseCommand(raw);
    if (cmd.kind != CommandKind::kNone && IsEngineerCommand(cmd.kind) && !ctx.staff) {
        if (cmd.kind == CommandKind::kReply && !cmd.missing_ticket) {
            cmd.kind = CommandKind::kAddInfo;  // an employee's "回复 NO 在5楼" adds to the ticket
        } else if (cmd.missing_ticket || cmd.ticket_no.empty()) {
            cmd = Command{};  // "上班", "完成": a word in a sentence, not a command for them
        }
    }
    if (cmd.kind != CommandKind::kNone) {
        out.kind = IntentKind::kCommand;
        out.command = std::move(cmd);
        return out;
    }
    const std::string_view s = DropTail(norm);
    for (const auto& said : kSmallTalk) {
        if (s == said.text) {
            out.kind = said.kind;
            return out;
        }
    }
    if (SaysLocked(s)) {
        out.kind = IntentKind::kUnlockOffer;
    } else if (SaysForgotten(s)) {
        out.kind = IntentKind::kResetOffer;
    } else {
        const bool it = text::ContainsAny(s, kItWords);
        for (const auto& t : kOtherTopics) {
            if (!it && s.find(t.word) != std::string_view::npos) {
                out.kind = IntentKind::kNotIt;
                out.topic = std::string(t.word);
                out.owner = std::string(t.owner);
                break;
            }
        }
    }
    return out;
}

std::string IntentLabel(const Intent& intent) {
    switch (intent.kind) {
        case IntentKind::kEmpty:
            return "empty";
        case IntentKind::kCommand: {
            std::string l = "command." + std::string(CommandName(intent.command.kind));
            if (intent.command.missing_ticket) {
                l += ".missing";
            }
            return l;
        }
        case IntentKind::kGreeting:
            return "greeting";
        case IntentKind::kPresence:
            return "presence";
        case IntentKind::kThanks:
            return "thanks";
        case IntentKind::kBye:
            return "bye";
        case IntentKind::kAck:
            return "ack";
        case IntentKind::kResetOffer:
            return "reset_offer";
        case IntentKind::kUnlockOffer:
            return "unlock_offer";
        case IntentKind::kAccountAsk:
            return "account_ask";
        case IntentKind::kNotIt:
            return "not_it";
        case IntentKind::kProblem:
            return "problem";
    }
    return "problem";
}

}  // namespace wedesk::bot
