#include "wedesk/bot/bot.hpp"

#include <nlohmann/json.hpp>

#include "bot/flows.hpp"
#include "wedesk/bot/command.hpp"
#include "wedesk/common/enum_names.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/reset/reset_service.hpp"
#include "wedesk/store/dialog_repository.hpp"

namespace wedesk::bot {

std::string HelpText(bool engineer) {
    std::string t =
        "您好，我是IT服务台，可以帮您：\n"
        "· 直接描述问题 —— 我先查知识库，解决不了再帮您提交工单\n"
        "· 报修 —— 提交IT问题工单（可附图片、文件）\n"
        "· 我的工单 —— 查看进度；查询 工单号\n"
        "· 补充 工单号 内容 —— 给工单补充信息或图片\n"
        "· 附件 工单号 —— 把工单的图片、文件发给您\n"
        "· 催办 / 取消工单 / 重开 / 评价 + 工单号\n"
        "· 重置密码、解锁账号 —— 短信验证码自助办理\n"
        "· 转人工 —— 找IT工程师\n"
        "任何时候回复 取消 可退出当前操作。";
    if (engineer) {
        t += "\n\n工程师命令：接单 / 回复（报修人可见）/ 备注（仅IT可见）/ "
             "转派（姓名或UserID，可写原因）"
             "/ 挂起 / 完成 + 工单号，我的任务，上班，下班"
             "\n组长：团队工单，待分派，超时工单";
    }
    return t;
}

Bot::Bot(BotDeps deps) : impl_(std::make_unique<Impl>(deps)) {}
Bot::~Bot() = default;

BotReply Bot::Handle(const wecom::InboundMessage& message) { return impl_->Handle(message); }

// ---------------------------------------------------------------------------------------------

Bot::Impl::Impl(BotDeps d)
    : deps(d),
      dialogs(d.db),
      categories(d.config.tickets.categories.empty() ? config::DefaultCategories()
                                                     : d.config.tickets.categories) {}

nlohmann::json Data(const Turn& turn) {
    auto j = nlohmann::json::parse(turn.state.data, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
}

void SetData(Turn& turn, const nlohmann::json& data) {
    // User text may carry invalid UTF-8: store it with U+FFFD rather than throw.
    turn.state.data = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {
constexpr NameTable<Flow, 6> kFlowNames{{
    {Flow::kNone, ""},
    {Flow::kCreate, "create"},
    {Flow::kKb, "kb"},
    {Flow::kReset, "reset"},
    {Flow::kOffer, "offer"},
    {Flow::kTransfer, "transfer"},
}};
}  // namespace

std::string_view FlowName(Flow flow) { return NameIn(kFlowNames, flow).value_or(""); }

std::optional<Flow> ParseFlow(std::string_view name) { return ValueIn(kFlowNames, name); }

void Enter(Turn& turn, Flow flow, const std::string& step, const nlohmann::json& data) {
    turn.flow = flow;
    turn.state.step = step;
    SetData(turn, data);
}

BotReply Bot::Impl::Handle(const wecom::InboundMessage& m) {
    Turn turn;
    turn.user = m.from_user;
    turn.state = dialogs.Load(m.from_user).value_or(store::DialogState{});
    if (auto flow = ParseFlow(turn.state.flow)) {
        turn.flow = *flow;
    } else {
        log::Get("bot")->warn("dialog of {} in unknown flow '{}': starting fresh", turn.user,
                              turn.state.flow);
        turn.state = store::DialogState{};
    }
    // An idle flow expires; the next message starts fresh.
    const auto timeout_s = static_cast<std::int64_t>(deps.config.tickets.dialog_timeout_min) * 60;
    if (turn.flow != Flow::kNone && deps.clock.NowSeconds() - turn.state.updated_at > timeout_s) {
        log::Get("bot")->info("dialog of {} expired in flow {}", turn.user, FlowName(turn.flow));
        turn.state = store::DialogState{};
        turn.flow = Flow::kNone;
        turn.expired = true;
    }
    // A reset flow whose session ended outside the chat (its SMS could not be sent, the user
    // was told by message): the next message starts fresh rather than hitting a dead session.
    if (turn.flow == Flow::kReset && deps.reset != nullptr && !deps.reset->InFlow(turn.user)) {
        LeaveFlow(turn);
    }
    std::string reply;
    switch (m.type) {
        case wecom::MsgType::kText:
            reply = OnText(turn, m.content);
            break;
        case wecom::MsgType::kImage:
        case wecom::MsgType::kVoice:
        case wecom::MsgType::kVideo:
        case wecom::MsgType::kFile:
            reply = OnMedia(turn, m);
            break;
        case wecom::MsgType::kEvent:
            return OnEvent(turn, m);
        case wecom::MsgType::kLocation:
        case wecom::MsgType::kLink:
        case wecom::MsgType::kUnknown:
            reply = "这类消息我暂时还看不懂。请用文字描述您的问题，或回复 帮助 查看我能做什么。";
            break;
    }
    Persist(turn);
    BotReply out;
    if (!reply.empty()) {
        out.passive.kind = wecom::PassiveReply::Kind::kText;
        out.passive.text = turn.expired ? "（上次的对话已超时结束）\n" + reply : reply;
        out.follow_up = turn.follow_up;
    }
    out.sensitive = turn.sensitive;
    return out;
}

void Bot::Impl::Persist(Turn& turn) {
    if (turn.flow == Flow::kNone) {
        dialogs.Clear(turn.user);
        return;
    }
    turn.state.flow = std::string(FlowName(turn.flow));
    turn.state.updated_at = deps.clock.NowSeconds();
    dialogs.Save(turn.user, turn.state);
}

std::string Bot::Impl::OnText(Turn& turn, const std::string& raw) {
    IntentContext ctx;
    ctx.staff = IsEngineer(turn.user);
    const Intent intent = Classify(raw, ctx);
    if (intent.kind == IntentKind::kEmpty) {
        return "您发送的是空消息。" + Hint(turn);
    }
    const Command& cmd = intent.command;
    if (cmd.kind == CommandKind::kCancel) {
        if (turn.flow == Flow::kNone) {
            return "当前没有进行中的操作。回复 帮助 查看我能做什么。";
        }
        if (turn.flow == Flow::kReset && deps.reset != nullptr) {
            OnResetText(turn, raw, true);  // closes the reset session too
        }
        LeaveFlow(turn);
        return "已退出。回复 帮助 查看我能做什么。";
    }
    if (turn.flow == Flow::kNone) {
        return OnIntent(turn, intent, raw);
    }
    // Inside a flow: help is shown without leaving it; any other command is a command wherever
    // it is typed; an answer goes to the flow; anything else is a new question.
    if (cmd.kind == CommandKind::kHelp) {
        return HelpText(ctx.staff) +
               "\n\n（您正在进行的操作还在，可以继续回答上面的问题，或回复 取消 退出。）";
    }
    if (turn.flow == Flow::kReset &&
        (cmd.kind == CommandKind::kResetPassword || cmd.kind == CommandKind::kUnlock)) {
        // The session in progress answers (its code stays valid; starting over would lose it
        // to the cool-down).
        return OnResetText(turn, raw, false);
    }
    const bool was_create = turn.flow == Flow::kCreate;
    const bool picks_ticket =
        turn.flow == Flow::kOffer && (turn.state.step == "which" || turn.state.step == "attach");
    if (picks_ticket && cmd.kind == CommandKind::kQuery && !cmd.ticket_no.empty() &&
        text::NormalizeCommand(raw).starts_with(text::AsciiLower(cmd.ticket_no))) {
        // A bare ticket number answers "which ticket?"; it is not 查询 there.
        if (auto answer = OnFlowText(turn, raw, intent)) {
            return *answer;
        }
    }
    if (intent.kind == IntentKind::kCommand) {
        // (A reset session is not cancelled by another command: its code stays valid, and typed
        // later it still counts — see OnFreeText.)
        const std::string so_far = FlowText(turn);
        LeaveFlow(turn);
        if (cmd.kind == CommandKind::kHuman) {
            return OnHuman(turn, so_far);
        }
        return (was_create ? "（刚才的报修没有提交。）\n" : "") + OnCommand(turn, cmd, raw);
    }
    if (auto answer = OnFlowText(turn, raw, intent)) {
        return *answer;
    }
    LeaveFlow(turn);
    return (was_create ? "（刚才的报修没有提交。）\n" : "") + OnIntent(turn, intent, raw);
}

std::string Bot::Impl::OnIntent(Turn& turn, const Intent& intent, const std::string& raw) {
    switch (intent.kind) {
        case IntentKind::kCommand:
            if (intent.command.kind == CommandKind::kHuman) {
                return OnHuman(turn, "");
            }
            return OnCommand(turn, intent.command, raw);
        case IntentKind::kGreeting:
        case IntentKind::kPresence:
        case IntentKind::kThanks:
        case IntentKind::kBye:
        case IntentKind::kAck:
            return OnSmallTalk(turn, intent.kind);
        case IntentKind::kResetOffer:
        case IntentKind::kUnlockOffer:
        case IntentKind::kAccountAsk:
            return OnAccountWords(turn, intent.kind);
        case IntentKind::kNotIt:
            // Not the IT desk's: say whose it is; no article, no ticket offer.
            return "这里是IT服务台，" + intent.topic + "相关的问题" +
                   (intent.owner.empty() ? std::string("我帮不上忙")
                                         : "请咨询" + intent.owner + "同事") +
                   "。如果是系统、电脑或账号方面的问题，请具体描述一下，我来帮您。";
        case IntentKind::kEmpty:
        case IntentKind::kProblem:
            break;
    }
    return OnFreeText(turn, raw);
}

std::string Bot::Impl::Hint(const Turn& turn) const {
    (void)turn;
    return "回复 帮助 查看我能做什么。";
}

std::string Bot::Impl::OnCommand(Turn& turn, const Command& cmd, const std::string& raw) {
    switch (cmd.kind) {
        case CommandKind::kHelp:
            return HelpText(IsEngineer(turn.user));
        case CommandKind::kNone:
            return OnFreeText(turn, raw);
        default:
            return OnDomainCommand(turn, cmd, raw);
    }
}

BotReply Bot::Impl::OnEvent(Turn& turn, const wecom::InboundMessage& m) {
    BotReply out;
    std::string reply;
    switch (m.event_type) {
        case wecom::EventType::kSubscribe:
        case wecom::EventType::kEnterAgent:
            reply = HelpText(IsEngineer(turn.user));
            break;
        case wecom::EventType::kClick:
            reply = OnMenuClick(turn, m.event_key);
            break;
        case wecom::EventType::kTemplateCardEvent: {
            auto r = OnCardButton(turn, m);
            Persist(turn);
            return r;
        }
        default:
            break;  // unsubscribe, view, LOCATION: nothing to say
    }
    Persist(turn);
    if (!reply.empty()) {
        out.passive.kind = wecom::PassiveReply::Kind::kText;
        out.passive.text = reply;
    }
    out.sensitive = turn.sensitive;
    return out;
}

std::string Bot::Impl::OnMenuClick(Turn& turn, const std::string& key) {
    // Keys set by `wedesk admin wecom menu-create` (docs/deploy.md).
    const std::string k = text::AsciiLower(key);
    std::string as_text;
    if (k == "menu_new_ticket") {
        as_text = "报修";
    } else if (k == "menu_my_tickets") {
        // From the menu, a card to pick a ticket and act on it with a tap; typed, the list.
        if (deps.tickets != nullptr && deps.notifier != nullptr) {
            auto mine = deps.tickets->ListMine(turn.user);
            if (mine.ok()) {
                if (auto card = MyTicketsCard(turn.user, *mine)) {
                    if (turn.flow != Flow::kNone) {
                        LeaveFlow(turn);
                    }
                    deps.notifier->SendCard(turn.user, *card);
                    return "";
                }
            }
        }
        as_text = "我的工单";
    } else if (k == "menu_reset_password") {
        as_text = "重置密码";
    } else if (k == "menu_help") {
        as_text = "帮助";
    } else {
        return "这个菜单项暂未开通。" + Hint(turn);
    }
    if (turn.flow != Flow::kNone) {
        LeaveFlow(turn);
    }
    return OnCommand(turn, ParseCommand(as_text), as_text);
}

void Bot::Impl::LeaveFlow(Turn& turn) {
    turn.state = store::DialogState{};
    turn.flow = Flow::kNone;
}

}  // namespace wedesk::bot
