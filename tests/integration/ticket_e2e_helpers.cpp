#include "ticket_e2e_helpers.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <catch2/catch.hpp>
#include <regex>

namespace wedesk::testing::e2e {

nlohmann::json TicketsPatch(int accept_timeout_min) {
    return {{"tickets",
             {{"categories", nlohmann::json::array({{{"key", "pc"}, {"name", "电脑"}},
                                                    {{"key", "network"}, {"name", "网络"}},
                                                    {{"key", "printer"}, {"name", "打印机"}},
                                                    {{"key", "other"}, {"name", "其他"}}})},
              {"groups", nlohmann::json::array(
                             {{{"name", "desktop"}, {"categories", {"pc", "printer", "other"}}},
                              {{"name", "network"}, {"categories", {"network"}}}})},
              {"accept_timeout_min", accept_timeout_min},
              {"dialog_timeout_min", 30}}}};
}

const char* const kPeopleCsv =
    "userid,name,mobile,account,department,role,groups\n"
    "zhangsan,张三,13800138001,zhangsan,财务部,employee,\n"
    "lisi,李四,13800138002,lisi,销售部,employee,\n"
    "eng1,王工,13800138011,eng1,IT,engineer,desktop\n"
    "eng2,赵工,13800138012,eng2,IT,engineer,desktop\n"
    "neteng,钱工,13800138013,neteng,IT,engineer,network\n"
    "lead1,孙组长,13800138021,lead1,IT,lead,desktop;network\n";

std::string Say(sim::SimClient& client, const std::string& user, const std::string& text) {
    INFO(user << " says: " << text);
    auto r = client.SendText(user, text);
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    return r->content;
}

std::string Say(TestServer& s, const std::string& user, const std::string& text) {
    return Say(s.client(), user, text);
}

std::string TicketNoIn(const std::string& text) {
    static const std::regex kNo("IT[0-9]{8}-[0-9]{4}");
    std::smatch m;
    if (std::regex_search(text, m, kNo)) {
        return m.str();
    }
    return "";
}

std::string CreateTicket(sim::SimClient& client, const std::string& user, int category,
                         const std::string& description, int urgency) {
    CHECK_THAT(Say(client, user, "报修"), Catch::Contains("请选择问题类别"));
    CHECK_THAT(Say(client, user, std::to_string(category)), Catch::Contains("请描述"));
    CHECK_THAT(Say(client, user, description), Catch::Contains("紧急程度"));
    CHECK_THAT(Say(client, user, std::to_string(urgency)), Catch::Contains("请确认"));
    const std::string done = Say(client, user, "确认");
    const std::string no = TicketNoIn(done);
    INFO(done);
    REQUIRE(!no.empty());
    return no;
}

std::string CreateTicket(TestServer& s, const std::string& user, int category,
                         const std::string& description, int urgency) {
    return CreateTicket(s.client(), user, category, description, urgency);
}

std::optional<sim::ReceivedMessage> WaitForMessage(
    const sim::ApiEmulator& api, const std::function<bool(const sim::ReceivedMessage&)>& pred,
    std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto all = api.Received();
        for (const auto& m : all) {
            if (pred(m)) {
                return m;
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !api.WaitForMessages(all.size() + 1, left)) {
            for (const auto& m : api.Received()) {
                if (pred(m)) {
                    return m;
                }
            }
            return std::nullopt;
        }
    }
}

std::vector<sim::ReceivedMessage> MessagesTo(
    const sim::ApiEmulator& api, const std::string& user,
    const std::function<bool(const sim::ReceivedMessage&)>& pred) {
    std::vector<sim::ReceivedMessage> out;
    for (const auto& m : api.Received()) {
        if (m.touser == user && (!pred || pred(m))) {
            out.push_back(m);
        }
    }
    return out;
}

std::string TextOf(const sim::ReceivedMessage& m) {
    if (m.msgtype != "text") {
        return "";
    }
    const auto& b = m.body;
    if (!b.contains("text") || !b["text"].is_object()) {
        return "";
    }
    return b["text"].value("content", "");
}

std::vector<std::string> ButtonKeys(const sim::ReceivedMessage& m) {
    std::vector<std::string> keys;
    if (m.msgtype != "template_card" || !m.body.contains("template_card")) {
        return keys;
    }
    const auto& card = m.body["template_card"];
    if (!card.contains("button_list") || !card["button_list"].is_array()) {
        return keys;
    }
    for (const auto& b : card["button_list"]) {
        keys.push_back(b.value("key", ""));
    }
    return keys;
}

std::string TaskId(const sim::ReceivedMessage& m) {
    if (m.msgtype != "template_card" || !m.body.contains("template_card")) {
        return "";
    }
    return m.body["template_card"].value("task_id", "");
}

bool IsCardWithKey(const sim::ReceivedMessage& m, const std::string& user, const std::string& key) {
    if (m.touser != user) {
        return false;
    }
    for (const auto& k : ButtonKeys(m)) {
        if (k == key) {
            return true;
        }
    }
    return false;
}

bool IsTextTo(const sim::ReceivedMessage& m, const std::string& user, const std::string& needle) {
    return m.touser == user && TextOf(m).find(needle) != std::string::npos;
}

std::string Scalar(const TestServer& s, const std::string& sql) {
    SQLite::Database db(s.db_path(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, sql);
    if (!q.executeStep() || q.getColumn(0).isNull()) {
        return "";
    }
    return q.getColumn(0).getString();
}

}  // namespace wedesk::testing::e2e
