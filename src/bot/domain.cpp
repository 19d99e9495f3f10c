// Ticket, knowledge-base and reset conversations. Until those services are wired, the bot
// answers what it can do and a polite fallback for everything else.
#include "bot/flows.hpp"

namespace wedesk::bot {

bool Bot::Impl::IsEngineer(const std::string&) { return false; }

bool Bot::Impl::FlowTakesText(const Turn&) const { return false; }

std::string Bot::Impl::OnFlowText(Turn& turn, const std::string&) {
    LeaveFlow(turn);
    return "抱歉，我没听懂。" + Hint(turn);
}

std::string Bot::Impl::OnDomainCommand(Turn& turn, const Command&, const std::string&) {
    return "这个功能即将开通，敬请期待。" + Hint(turn);
}

std::string Bot::Impl::OnFreeText(Turn& turn, const std::string&) {
    return "抱歉，我没听懂。" + Hint(turn);
}

std::string Bot::Impl::OnMedia(Turn& turn, const wecom::InboundMessage&) {
    return "收到。如需报修，请回复 报修 并按提示描述问题。" + Hint(turn);
}

BotReply Bot::Impl::OnCardButton(Turn&, const wecom::InboundMessage&) { return {}; }

}  // namespace wedesk::bot
