// 报修: category → description → urgency → summary → 确认, with knowledge-base suggestions
// offered for free text while idle and at the description step.
#include "bot/flows.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::bot {

namespace {

constexpr std::size_t kMaxDescriptionBytes = 4000;
constexpr std::size_t kMaxAnswerBytes = 1500;  // leaves room for the question under it

struct Urgency {
    const char* words;
    const char* priority;
};
constexpr Urgency kUrgencies[] = {{"一般", "P3"}, {"紧急", "P2"}, {"非常紧急", "P1"}};

bool IsYes(const std::string& raw) {
    const std::string t = text::NormalizeCommand(raw);
    return t == "确认" || t == "确定" || t == "是" || t == "1" || t == "ok" || t == "yes" ||
           t == "y" || t == "confirm" || t == "提交";
}

}  // namespace

std::string Bot::Impl::StartCreate(Turn& turn, const std::string& description) {
    nlohmann::json d = {{"attachments", nlohmann::json::array()}};
    const std::string desc = text::Trim(description);
    if (!desc.empty()) {
        d["description"] = text::TruncateUtf8(desc, kMaxDescriptionBytes);
    }
    Enter(turn, Flow::kCreate, "category", d);
    return AskCategory(turn, "好的，我们来提交一个IT工单。\n");
}

std::string Bot::Impl::AskCategory(Turn& turn, const std::string& prefix) {
    turn.state.step = "category";
    std::string t = prefix + "请选择问题类别（回复序号）：";
    for (std::size_t i = 0; i < categories.size(); ++i) {
        t += "\n" + std::to_string(i + 1) + ". " + categories[i].name;
    }
    return t + "\n回复 取消 可随时退出。";
}

std::string Bot::Impl::AskUrgency(Turn& turn, const std::string& prefix) {
    turn.state.step = "urgency";
    return prefix + "请选择紧急程度：\n1. 一般\n2. 紧急（影响工作）\n3. 非常紧急（完全无法工作）";
}

std::string Bot::Impl::AskConfirm(Turn& turn, const std::string& prefix) {
    turn.state.step = "confirm";
    const auto d = Data(turn);
    const int u = d.value("urgency", 1);
    std::string t = prefix + "请确认工单信息：\n类别：" + d.value("category_name", "") +
                    "\n描述：" + text::TruncateUtf8(d.value("description", ""), 600) +
                    "\n紧急程度：" + kUrgencies[u - 1].words;
    const auto n = d.contains("attachments") ? d["attachments"].size() : 0;
    if (n > 0) {
        t += "\n附件：" + std::to_string(n) + " 个";
    }
    return t + "\n回复 确认 提交，回复 取消 放弃。";
}

std::string Bot::Impl::OnCreateText(Turn& turn, const std::string& raw) {
    auto d = Data(turn);
    const std::string& step = turn.state.step;
    if (step == "category") {
        const auto choice = ParseChoice(raw);
        if (!choice || static_cast<std::size_t>(*choice) > categories.size()) {
            return AskCategory(
                turn, "请回复类别前的序号（1-" + std::to_string(categories.size()) + "）。\n");
        }
        const auto& c = categories[static_cast<std::size_t>(*choice - 1)];
        d["category"] = c.key;
        d["category_name"] = c.name;
        SetData(turn, d);
        if (d.contains("description")) {
            return AskUrgency(turn);
        }
        turn.state.step = "description";
        return "请描述您遇到的问题（可附图片、截图）：";
    }
    if (step == "description") {
        const std::string desc = text::Trim(raw);
        if (desc.empty()) {
            return "描述不能为空，请用文字说明问题。";
        }
        d["description"] = text::TruncateUtf8(desc, kMaxDescriptionBytes);
        SetData(turn, d);
        // Before filing, offer articles that may solve it right away.
        if (auto offer = OfferArticles(turn, desc, Flow::kCreate, "kb_pick"); !offer.empty()) {
            return offer;
        }
        return AskUrgency(turn);
    }
    if (step == "kb_pick" || step == "kb_solved") {
        return OnKbText(turn, raw);
    }
    if (step == "urgency") {
        const auto choice = ParseChoice(raw);
        if (!choice || *choice > 3) {
            return AskUrgency(turn, "请回复 1、2 或 3。\n");
        }
        d["urgency"] = *choice;
        SetData(turn, d);
        return AskConfirm(turn);
    }
    if (step == "confirm") {
        if (IsYes(raw)) {
            return Submit(turn);
        }
        return AskConfirm(turn, "没有提交。");
    }
    LeaveFlow(turn);
    return "抱歉，流程出错了，请重新回复 报修。";
}

std::string Bot::Impl::Submit(Turn& turn) {
    const auto d = Data(turn);
    std::vector<std::string> media;
    if (d.contains("attachments")) {
        for (const auto& a : d["attachments"]) {
            media.push_back(a.value("media_id", ""));
        }
    }
    const int u = d.value("urgency", 1);
    auto r = deps.tickets->Create(turn.user, d.value("category", "other"),
                                  d.value("description", ""), kUrgencies[u - 1].priority, media);
    LeaveFlow(turn);
    if (!r.ok()) {
        return r.error().message + "\n回复 报修 重新提交。";
    }
    std::string t =
        "已为您创建工单 " + r->no + "（" + std::string(kUrgencies[u - 1].words) + "），";
    t += r->assignee.empty() ? "正在为您安排工程师。"
                             : "工程师 " + r->assignee_name + " 将尽快处理。";
    return t + "\n回复 查询 " + r->no + " 查看进度。";
}

std::string Bot::Impl::OfferArticles(Turn& turn, const std::string& query, Flow flow,
                                     const std::string& step) {
    if (deps.kb == nullptr) {
        return "";
    }
    const auto hits = deps.kb->Suggest(query, 3);
    if (hits.empty()) {
        return "";
    }
    std::vector<std::int64_t> ids;
    std::string t = flow == Flow::kCreate ? "提交前，这些文章也许能直接解决您的问题：\n"
                                          : "我找到这些可能有用的解答：\n";
    for (std::size_t i = 0; i < hits.size(); ++i) {
        ids.push_back(hits[i].id);
        t += std::to_string(i + 1) + ". " + hits[i].title + "\n";
    }
    const auto other = std::to_string(hits.size() + 1);
    t += other + (flow == Flow::kCreate ? ". 都不是，继续提交工单" : ". 都不是，提交工单");
    deps.kb->RecordShown(ids);
    if (flow == Flow::kCreate) {
        auto d = Data(turn);
        d["kb_ids"] = ids;
        SetData(turn, d);
        turn.state.step = step;
    } else {
        Enter(turn, flow, step,
              {{"query", text::TruncateUtf8(query, kMaxDescriptionBytes)}, {"kb_ids", ids}});
    }
    return t + "\n回复序号查看。";
}

std::string Bot::Impl::ShowArticle(Turn& turn, std::int64_t id) {
    auto a = deps.kb->Get(id);
    if (!a) {
        return "";
    }
    deps.kb->RecordOpened(id);
    auto d = Data(turn);
    d["kb_open"] = id;
    SetData(turn, d);
    turn.state.step = turn.flow == Flow::kCreate ? "kb_solved" : "solved";
    return "【" + a->title + "】\n" + text::TruncateUtf8(a->answer, kMaxAnswerBytes) +
           "\n\n这解决您的问题了吗？\n1. 解决了\n2. 没解决，提交工单";
}

std::string Bot::Impl::OnKbText(Turn& turn, const std::string& raw) {
    auto d = Data(turn);
    const bool in_create = turn.flow == Flow::kCreate;
    const auto choice = ParseChoice(raw);
    const std::string& step = turn.state.step;
    if (step == "pick" || step == "kb_pick") {
        const auto ids = d.value("kb_ids", std::vector<std::int64_t>{});
        if (choice && static_cast<std::size_t>(*choice) <= ids.size()) {
            auto shown = ShowArticle(turn, ids[static_cast<std::size_t>(*choice - 1)]);
            if (!shown.empty()) {
                return shown;
            }
        }
        if (choice && static_cast<std::size_t>(*choice) == ids.size() + 1) {
            if (in_create) {
                return AskUrgency(turn);
            }
            return StartCreate(turn, d.value("query", ""));
        }
        return "请回复 1-" + std::to_string(ids.size() + 1) + " 之间的序号，或回复 取消 退出。";
    }
    // step solved / kb_solved
    const std::int64_t id = d.value("kb_open", std::int64_t{0});
    if (choice == 1) {
        deps.kb->RecordOutcome(id, true);
        LeaveFlow(turn);
        return "太好了！问题已解决。如还有其他问题，直接告诉我即可。";
    }
    if (choice == 2) {
        deps.kb->RecordOutcome(id, false);
        if (in_create) {
            return AskUrgency(turn, "好的，继续提交工单。\n");
        }
        return StartCreate(turn, d.value("query", ""));
    }
    return "请回复 1（解决了）或 2（没解决，提交工单）。";
}

}  // namespace wedesk::bot
