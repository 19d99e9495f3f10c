// 报修: category → description → urgency → summary → 确认, with knowledge-base suggestions
// offered for free text while idle and at the description step.
#include <algorithm>

#include "bot/flows.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::bot {

namespace {

constexpr std::size_t kMaxAnswerBytes = 1500;  // leaves room for the question under it

struct Urgency {
    const char* words;
    const char* priority;
};
constexpr Urgency kUrgencies[] = {{"一般", "P3"}, {"紧急", "P2"}, {"非常紧急", "P1"}};

bool IsYes(const std::string& raw) {
    const std::string t = text::NormalizeCommand(raw);
    if (t == "确认" || t == "确定" || t == "是" || t == "1" || t == "ok" || t == "yes" ||
        t == "y" || t == "confirm" || t == "提交" || t == "好" || t == "好的" || t == "对" ||
        t == "没问题") {
        return true;
    }
    return t.size() <= 18 && text::ContainsAny(t, {"确认", "提交", "没问题"}) &&
           !text::ContainsAny(t, {"不", "没提交"});
}

// 1 一般, 2 紧急, 3 非常紧急 from words ("不急", "挺急的", "完全没法工作"); 0 when none.
int MatchUrgency(const std::string& raw) {
    const std::string t = text::NormalizeCommand(raw);
    if (t == "高") {
        return 3;
    }
    if (t == "中") {
        return 2;
    }
    if (t == "低") {
        return 1;
    }
    if (text::ContainsAny(
            t, {"非常紧急", "特别紧急", "特别急", "非常急", "十万火急", "特急", "超级急", "很紧急",
                "完全无法工作", "完全没法工作", "没法工作", "无法工作", "急死"})) {
        return 3;
    }
    if (text::ContainsAny(
            t, {"不急", "不紧急", "不着急", "不太急", "不是很急", "一般", "普通", "不影响"})) {
        return 1;
    }
    if (text::ContainsAny(t, {"紧急", "急", "影响工作", "尽快"})) {
        return 2;
    }
    return 0;
}

// Which field a "修改…" at the confirm step names: 1 category, 2 description, 3 urgency.
int EditField(const std::string& t) {
    if (text::ContainsAny(t, {"类别", "分类", "类型"})) {
        return 1;
    }
    if (text::ContainsAny(t, {"描述", "内容", "问题"})) {
        return 2;
    }
    if (text::ContainsAny(t, {"紧急", "急", "优先级"})) {
        return 3;
    }
    return 0;
}

// Words for the default categories beyond their names (configured categories match by name).
struct Hint {
    const char* key;
    std::initializer_list<std::string_view> words;
};
const Hint kCategoryHints[] = {
    {"pc",
     {"电脑", "笔记本", "电恼", "蓝屏", "开不了机", "开机", "死机", "黑屏", "键盘", "鼠标",
      "显示器", "主机", "卡顿", "风扇"}},
    {"network",
     {"网络", "vpn", "wifi", "无线", "上网", "网速", "内网", "断网", "网线", "连不上网"}},
    {"email", {"邮箱", "邮件", "outlook", "foxmail"}},
    {"printer", {"打印", "扫描", "复印", "硒鼓", "墨盒", "卡纸"}},
    {"account", {"账号", "帐号", "密码", "权限", "登录", "登不上"}},
    {"software",
     {"软件", "安装", "装个", "wps", "office", "excel", "word", "photoshop", "visio", "license",
      "激活"}},
};

// A KB answer written in Markdown, as plain chat text (WeCom text messages show Markdown
// marks literally): `code` and **bold** lose their marks, [text](url) becomes "text url",
// heading marks and "> " quote marks at a line start go.
std::string PlainText(const std::string& md) {
    std::string out;
    out.reserve(md.size());
    bool line_start = true;
    for (std::size_t i = 0; i < md.size(); ++i) {
        const char c = md[i];
        if (line_start) {
            std::size_t j = i;
            while (j < md.size() && md[j] == '#') {
                ++j;
            }
            if (j > i && j < md.size() && md[j] == ' ') {
                i = j;  // "## title" → "title"
                line_start = false;
                continue;
            }
            if (c == '>' && i + 1 < md.size() && md[i + 1] == ' ') {
                ++i;
                line_start = false;
                continue;
            }
        }
        line_start = c == '\n';
        if (c == '`') {
            continue;
        }
        if (c == '*' && i + 1 < md.size() && md[i + 1] == '*') {
            ++i;
            continue;
        }
        if (c == '[') {
            const auto close = md.find("](", i);
            const auto end = close == std::string::npos ? close : md.find(')', close);
            if (close != std::string::npos && end != std::string::npos && md.find('\n', i) > end) {
                out +=
                    md.substr(i + 1, close - i - 1) + " " + md.substr(close + 2, end - close - 2);
                i = end;
                continue;
            }
        }
        out.push_back(c);
    }
    return out;
}

}  // namespace

std::optional<std::size_t> Bot::Impl::MatchCategory(const std::string& raw) const {
    const std::string t = text::NormalizeCommand(raw);
    if (t.empty()) {
        return std::nullopt;
    }
    // A category's name or a part of it ("打印机", "网络" of "网络/VPN").
    for (std::size_t i = 0; i < categories.size(); ++i) {
        const std::string name = text::NormalizeCommand(categories[i].name);
        if (t == name || t == text::AsciiLower(categories[i].key)) {
            return i;
        }
        std::size_t from = 0;
        while (from <= name.size()) {
            const auto slash = name.find('/', from);
            const std::string part =
                name.substr(from, slash == std::string::npos ? std::string::npos : slash - from);
            if (part.size() >= 2 && t.find(part) != std::string::npos) {
                return i;
            }
            if (slash == std::string::npos) {
                break;
            }
            from = slash + 1;
        }
    }
    for (const auto& h : kCategoryHints) {
        if (!text::ContainsAny(t, h.words)) {
            continue;
        }
        for (std::size_t i = 0; i < categories.size(); ++i) {
            if (categories[i].key == h.key) {
                return i;
            }
        }
    }
    return std::nullopt;
}

std::string Bot::Impl::StartCreate(Turn& turn, const std::string& description,
                                   std::int64_t question) {
    nlohmann::json d = {{"attachments", nlohmann::json::array()}};
    if (question > 0) {
        d["qid"] = question;
    }
    std::string note;
    const std::string desc = KeepAtMost(description, tickets::kMaxDescriptionBytes, note);
    if (!desc.empty()) {
        d["description"] = desc;
    }
    Enter(turn, Flow::kCreate, "category", d);
    return AskCategory(turn, note + "好的，我们来提交一个IT工单。\n");
}

std::string Bot::Impl::AskCategory(Turn& turn, const std::string& prefix) {
    turn.state.step = "category";
    std::string t = prefix + "请选择问题类别（回复序号或名称）：";
    for (std::size_t i = 0; i < categories.size(); ++i) {
        t += "\n" + std::to_string(i + 1) + ". " + categories[i].name;
    }
    return t + "\n回复 取消 可随时退出。";
}

std::string Bot::Impl::AskUrgency(Turn& turn, const std::string& prefix) {
    turn.state.step = "urgency";
    return prefix +
           "请选择紧急程度（回复序号或名称）：\n1. 一般\n2. 紧急（影响工作）\n3. "
           "非常紧急（完全无法工作）";
}

std::string Bot::Impl::AskConfirm(Turn& turn, const std::string& prefix) {
    turn.state.step = "confirm";
    const auto d = Data(turn);
    const int u = std::clamp(d.value("urgency", 1), 1, 3);
    std::string t = prefix + "请确认工单信息：\n类别：" + d.value("category_name", "") +
                    "\n描述：" + text::TruncateUtf8(d.value("description", ""), 600) +
                    (d.value("description", "").size() > 600 ? "…" : "") + "\n紧急程度：" +
                    kUrgencies[u - 1].words;
    const auto n = d.contains("attachments") ? d["attachments"].size() : 0;
    if (n > 0) {
        t += "\n附件：" + std::to_string(n) + " 个";
    }
    return t + "\n回复 确认 提交，回复 修改 更改内容，回复 取消 放弃。";
}

std::optional<std::string> Bot::Impl::OnCreateText(Turn& turn, const std::string& raw,
                                                   const Intent& intent) {
    auto d = Data(turn);
    const std::string step = turn.state.step;  // a copy: the flow may be left below
    const bool editing = d.value("editing", false);
    if (step == "category") {
        const auto choice = ParseChoice(raw);
        std::optional<std::size_t> picked;
        std::string note;
        if (choice && static_cast<std::size_t>(*choice) <= categories.size()) {
            picked = static_cast<std::size_t>(*choice - 1);
        } else if (!choice) {
            picked = MatchCategory(raw);
            if (intent.kind == IntentKind::kProblem && LooksLikeQuestion(intent, raw) &&
                !d.contains("description") && !editing &&
                (!picked ||
                 text::NormalizeCommand(raw) != text::NormalizeCommand(categories[*picked].name))) {
                // A description typed instead of a category: kept, and it may name the category.
                d["description"] = KeepAtMost(raw, tickets::kMaxDescriptionBytes, note);
                SetData(turn, d);
                if (!picked) {
                    return AskCategory(turn, note + "已记下您的描述。\n");
                }
            }
        }
        if (!picked) {
            if (LooksLikeQuestion(intent, raw) && d.contains("description")) {
                return std::nullopt;
            }
            return AskCategory(turn, "请回复类别前的序号（1-" + std::to_string(categories.size()) +
                                         "）或名称。\n");
        }
        const auto& c = categories[*picked];
        d["category"] = c.key;
        d["category_name"] = c.name;
        SetData(turn, d);
        if (editing) {
            return AskConfirm(turn);
        }
        if (d.contains("description")) {
            return AskUrgency(turn, note);
        }
        turn.state.step = "description";
        return "请描述您遇到的问题（可附图片、截图）：";
    }
    if (step == "description") {
        if (text::Trim(raw).empty()) {
            return std::string("描述不能为空，请用文字说明问题。");
        }
        std::string note;
        const std::string desc = KeepAtMost(raw, tickets::kMaxDescriptionBytes, note);
        d["description"] = desc;
        SetData(turn, d);
        if (editing) {
            return AskConfirm(turn, note);
        }
        // Before filing, offer articles that may solve it right away.
        if (auto offer = OfferArticles(turn, desc, Flow::kCreate, "kb_pick"); !offer.empty()) {
            return note + offer;
        }
        if (turn.question > 0) {
            d["qid"] = turn.question;
            SetData(turn, d);
        }
        return AskUrgency(turn, note);
    }
    if (step == "kb_pick" || step == "kb_solved") {
        return OnKbText(turn, raw);
    }
    if (step == "urgency") {
        const auto choice = ParseChoice(raw);
        int u = choice && *choice <= 3 ? *choice : 0;
        if (u == 0 && !choice) {
            u = MatchUrgency(raw);
        }
        if (u == 0) {
            if (!choice && LooksLikeQuestion(intent, raw)) {
                return std::nullopt;
            }
            return AskUrgency(turn, "请回复 1、2、3，或 一般 / 紧急 / 非常紧急。\n");
        }
        d["urgency"] = u;
        SetData(turn, d);
        return AskConfirm(turn);
    }
    if (step == "confirm") {
        const std::string t = text::NormalizeCommand(raw);
        if (t.starts_with("修改") || t.starts_with("改") || t == "编辑") {
            d["editing"] = true;
            SetData(turn, d);
            return AskEdit(turn, EditField(t),
                           "要修改哪一项？\n1. 类别\n2. 描述\n3. 紧急程度\n回复序号。");
        }
        if (IsYes(raw)) {
            return Submit(turn);
        }
        if (LooksLikeQuestion(intent, raw) && text::Utf8Length(text::Trim(raw)) > 6) {
            // More about the problem: added to the description, then confirmed again.
            std::string note;
            const std::string more = text::Trim(raw);
            d["description"] = KeepAtMost(d.value("description", "") + "\n" + more,
                                          tickets::kMaxDescriptionBytes, note);
            SetData(turn, d);
            return AskConfirm(turn, note + "已补充到描述里。\n");
        }
        return AskConfirm(turn, "没有提交。");
    }
    if (step == "edit") {
        const auto choice = ParseChoice(raw);
        const int field = choice && *choice <= 3 ? *choice : EditField(text::NormalizeCommand(raw));
        return AskEdit(turn, field,
                       "请回复 1（类别）、2（描述）或 3（紧急程度），或回复 取消 放弃。");
    }
    LeaveFlow(turn);
    return std::string("抱歉，流程出错了，请重新回复 报修。");
}

std::string Bot::Impl::AskEdit(Turn& turn, int field, const std::string& which) {
    switch (field) {
        case 1:
            return AskCategory(turn);
        case 2:
            turn.state.step = "description";
            return "请重新描述您遇到的问题：";
        case 3:
            return AskUrgency(turn);
        default:
            turn.state.step = "edit";
            return which;
    }
}

std::string Bot::Impl::Submit(Turn& turn) {
    const auto d = Data(turn);
    std::vector<tickets::NewAttachment> media;
    if (d.contains("attachments")) {
        for (const auto& a : d["attachments"]) {
            media.push_back(ToAttachment(a));
        }
    }
    const int u = d.value("urgency", 1);
    auto r = deps.tickets->Create(turn.user, d.value("category", "other"),
                                  d.value("description", ""), kUrgencies[u - 1].priority, media);
    LeaveFlow(turn);
    if (r.ok() && deps.kb != nullptr) {
        deps.kb->LinkTicket(d.value("qid", std::int64_t{0}), r->no);
    }
    if (!r.ok()) {
        return r.error().message + "\n回复 报修 重新提交。";
    }
    std::string t =
        "已为您创建工单 " + r->no + "（" + std::string(kUrgencies[u - 1].words) + "），";
    t += r->assignee.empty() ? NobodyOnDuty() : "工程师 " + r->assignee_name + " 将尽快处理。";
    return t + "\n回复 查询 " + r->no + " 查看进度。";
}

std::string Bot::Impl::OfferArticles(Turn& turn, const std::string& query, Flow flow,
                                     const std::string& step) {
    if (deps.kb == nullptr) {
        return "";
    }
    const auto hits = deps.kb->Suggest(query, 3);
    // Every question is kept (as typed) for `admin kb gaps`; the flow carries its id.
    turn.question =
        deps.kb->RecordQuestion(turn.user, query, !hits.empty(), deps.clock.NowSeconds(),
                                hits.empty() ? 0 : hits.front().id);
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
        d["qid"] = turn.question;
        SetData(turn, d);
        turn.state.step = step;
    } else {
        Enter(turn, flow, step,
              {{"query", text::TruncateUtf8(query, tickets::kMaxDescriptionBytes)},
               {"kb_ids", ids},
               {"qid", turn.question}});
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
    return "【" + a->title + "】\n" + text::TruncateUtf8(PlainText(a->answer), kMaxAnswerBytes) +
           "\n\n这解决您的问题了吗？\n1. 解决了\n2. 没解决，提交工单";
}

std::optional<std::string> Bot::Impl::OnKbText(Turn& turn, const std::string& raw) {
    auto d = Data(turn);
    const bool in_create = turn.flow == Flow::kCreate;
    const auto choice = ParseChoice(raw);
    const std::string step = turn.state.step;  // a copy: the flow may be left below
    const std::string t = text::NormalizeCommand(raw);
    if (step == "pick" || step == "kb_pick") {
        const auto ids = d.value("kb_ids", std::vector<std::int64_t>{});
        if (choice && static_cast<std::size_t>(*choice) <= ids.size()) {
            auto shown = ShowArticle(turn, ids[static_cast<std::size_t>(*choice - 1)]);
            if (!shown.empty()) {
                return shown;
            }
        }
        if ((choice && static_cast<std::size_t>(*choice) == ids.size() + 1) || t == "都不是" ||
            t == "提交工单") {
            if (in_create) {
                return AskUrgency(turn);
            }
            return StartCreate(turn, d.value("query", ""), d.value("qid", std::int64_t{0}));
        }
        if (!choice && HasWords(raw)) {
            return std::nullopt;  // a new question
        }
        return "请回复 1-" + std::to_string(ids.size() + 1) + " 之间的序号，或回复 取消 退出。";
    }
    // step solved / kb_solved
    const std::int64_t id = d.value("kb_open", std::int64_t{0});
    const bool solved = choice == 1 ||
                        text::ContainsAny(t, {"解决了", "好了", "可以了", "搞定", "行了"}) ||
                        t == "谢谢" || t == "ok" || t == "好的";
    const bool unsolved =
        choice == 2 || text::ContainsAny(t, {"没解决", "不行", "没用", "不可以", "还是"});
    if (unsolved) {
        deps.kb->RecordOutcome(id, false);
        deps.kb->RecordQuestionOutcome(d.value("qid", std::int64_t{0}), id, false);
        if (in_create) {
            return AskUrgency(turn, "好的，继续提交工单。\n");
        }
        return StartCreate(turn, d.value("query", ""), d.value("qid", std::int64_t{0}));
    }
    if (solved) {
        deps.kb->RecordOutcome(id, true);
        deps.kb->RecordQuestionOutcome(d.value("qid", std::int64_t{0}), id, true);
        LeaveFlow(turn);
        return std::string("太好了！问题已解决。如还有其他问题，直接告诉我即可。");
    }
    if (!choice && HasWords(raw)) {
        return std::nullopt;
    }
    return std::string("请回复 1（解决了）或 2（没解决，提交工单）。");
}

}  // namespace wedesk::bot
