// The bot's state machine against a real database and TicketService, with a fake clock: the
// create flow, idle expiry, and odd input (empty, emoji, 10 KB text, full-width digits,
// invalid UTF-8).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "bot_env.hpp"
#include "wedesk/common/text.hpp"

using wedesk::bot::testing::BotEnv;

namespace {

constexpr const char* kPeople =
    "userid,name,mobile,account,department,role,groups\n"
    "zhangsan,张三,13800138001,zhangsan,财务部,employee,\n"
    "eng1,王工,13800138011,eng1,IT,engineer,desktop\n";

std::string Ten_KB(const std::string& unit) {
    std::string s;
    while (s.size() < 10 * 1024) {
        s += unit;
    }
    return s;
}

std::string OnlyTicket(BotEnv& env, const std::string& user) {
    auto list = env.tickets->ListMine(user);
    REQUIRE(list.ok());
    REQUIRE(list->size() == 1);
    return list->front().no;
}

/// A click on a button of the template card `task_id`, as WeCom delivers it.
wedesk::wecom::InboundMessage CardClick(const std::string& user, const std::string& task_id,
                                        const std::string& key) {
    wedesk::wecom::InboundMessage m;
    m.from_user = user;
    m.type = wedesk::wecom::MsgType::kEvent;
    m.raw_type = "event";
    m.event = "template_card_event";
    m.event_type = wedesk::wecom::EventType::kTemplateCardEvent;
    m.event_key = key;
    m.task_id = task_id;
    return m;
}

}  // namespace

TEST_CASE("the create flow walks category, description, urgency, confirm", "[unit]") {
    BotEnv env;
    env.Import(kPeople);
    CHECK_THAT(env.Say("zhangsan", "报修"), Catch::Contains("1. 电脑"));
    CHECK(env.State("zhangsan").flow == "create");
    CHECK(env.State("zhangsan").step == "category");
    CHECK_THAT(env.Say("zhangsan", "1"), Catch::Contains("请描述"));
    CHECK(env.State("zhangsan").step == "description");
    CHECK_THAT(env.Say("zhangsan", "屏幕不亮"), Catch::Contains("紧急程度"));
    CHECK(env.State("zhangsan").step == "urgency");
    CHECK_THAT(env.Say("zhangsan", "2"), Catch::Contains("屏幕不亮"));
    CHECK(env.State("zhangsan").step == "confirm");
    const auto done = env.Say("zhangsan", "确认");
    CHECK_THAT(done, Catch::Contains("已为您创建工单 IT20261127-0001"));
    CHECK(env.State("zhangsan").flow.empty());
    auto d = env.tickets->AdminGet("IT20261127-0001");
    REQUIRE(d.ok());
    CHECK(d->ticket.priority == "P2");
    CHECK(d->ticket.category == "pc");
    CHECK(d->ticket.description == "屏幕不亮");
}

TEST_CASE("a dialog stored by another version in a flow this one does not know starts fresh",
          "[unit]") {
    BotEnv env;
    wedesk::store::DialogRepository dialogs(*env.db);
    dialogs.Save("zhangsan", {"approval", "reason", "{}", env.clock.NowSeconds()});
    const auto r = env.Say("zhangsan", "我的工单");
    CHECK_THAT(r, !Catch::Contains("出错"));
    CHECK(env.State("zhangsan").flow.empty());
    env.Say("zhangsan", "报修");
    CHECK(env.State("zhangsan").flow == "create");  // stored by name
}

TEST_CASE("an idle flow expires after dialog_timeout_min — the next message starts fresh",
          "[unit]") {
    BotEnv env;
    const auto timeout = std::chrono::minutes(env.config.tickets.dialog_timeout_min);
    env.Say("zhangsan", "报修");
    env.Say("zhangsan", "1");

    SECTION("just inside the timeout the flow goes on") {
        env.clock.Advance(timeout - std::chrono::seconds(1));
        const auto r = env.Say("zhangsan", "打印很慢");
        CHECK_THAT(r, Catch::Contains("紧急程度"));
        CHECK_THAT(r, !Catch::Contains("超时"));
        // Each answer restarts the idle timer.
        env.clock.Advance(timeout - std::chrono::seconds(1));
        CHECK_THAT(env.Say("zhangsan", "1"), Catch::Contains("请确认"));
    }
    SECTION("past the timeout the answer is not taken by the old flow") {
        env.clock.Advance(timeout + std::chrono::seconds(1));
        const auto r = env.Say("zhangsan", "打印很慢");
        CHECK_THAT(r, Catch::StartsWith("（上次的对话已超时结束）"));
        CHECK_THAT(r, !Catch::Contains("紧急程度"));
        CHECK(env.State("zhangsan").flow != "create");
        // 报修 now starts at the category again.
        env.Say("zhangsan", "取消");
        CHECK_THAT(env.Say("zhangsan", "报修"), Catch::Contains("请选择问题类别"));
        CHECK(env.State("zhangsan").step == "category");
    }
    SECTION("past the timeout a command runs normally, with the notice") {
        env.clock.Advance(std::chrono::hours(5));
        const auto r = env.Say("zhangsan", "帮助");
        CHECK_THAT(r, Catch::StartsWith("（上次的对话已超时结束）"));
        CHECK_THAT(r, Catch::Contains("报修"));
        CHECK(env.State("zhangsan").flow.empty());
    }
    CHECK(env.tickets->ListMine("zhangsan")->empty());
}

TEST_CASE("odd input: empty, blank, emoji", "[unit]") {
    BotEnv env;
    CHECK_THAT(env.Say("zhangsan", ""), Catch::Contains("空消息"));
    CHECK_THAT(env.Say("zhangsan", " \t\n　"), Catch::Contains("空消息"));
    CHECK(env.State("zhangsan").flow.empty());

    env.Say("zhangsan", "报修");
    CHECK_THAT(env.Say("zhangsan", ""), Catch::Contains("空消息"));
    CHECK(env.State("zhangsan").step == "category");  // an empty message changes nothing
    CHECK_THAT(env.Say("zhangsan", "😀"), Catch::Contains("请回复类别前的序号"));
    env.Say("zhangsan", "1");
    CHECK_THAT(env.Say("zhangsan", "🖨️💥🔥"), Catch::Contains("紧急程度"));
    env.Say("zhangsan", "1");
    CHECK_THAT(env.Say("zhangsan", "👍"), Catch::Contains("没有提交"));
    env.Say("zhangsan", "确认");
    auto d = env.tickets->AdminGet(OnlyTicket(env, "zhangsan"));
    REQUIRE(d.ok());
    CHECK(d->ticket.description == "🖨️💥🔥");

    // Emoji alone while idle: an offer to file it, no crash.
    CHECK_THAT(env.Say("lisi", "😭😭😭"), Catch::Contains("提交工单"));
}

TEST_CASE("odd input: full-width digits pick choices", "[unit]") {
    BotEnv env;
    env.Say("zhangsan", "报修");
    CHECK_THAT(env.Say("zhangsan", "１０"), Catch::Contains("请回复类别前的序号"));
    CHECK_THAT(env.Say("zhangsan", "０"), Catch::Contains("请回复类别前的序号"));
    CHECK_THAT(env.Say("zhangsan", "　２　"), Catch::Contains("请描述"));
    env.Say("zhangsan", "VPN 断线");
    CHECK_THAT(env.Say("zhangsan", "４"), Catch::Contains("请回复 1、2、3"));
    CHECK_THAT(env.Say("zhangsan", "３"), Catch::Contains("非常紧急"));
    CHECK_THAT(env.Say("zhangsan", "ＣＯＮＦＩＲＭ"), Catch::Contains("已为您创建工单"));
    auto d = env.tickets->AdminGet(OnlyTicket(env, "zhangsan"));
    REQUIRE(d.ok());
    CHECK(d->ticket.category == "network");
    CHECK(d->ticket.priority == "P1");
}

TEST_CASE("odd input: 10 KB of text is cut at a character boundary", "[unit]") {
    BotEnv env;
    const std::string big = Ten_KB("很长的描述😀");

    SECTION("as the description") {
        env.Say("zhangsan", "报修");
        env.Say("zhangsan", "1");
        CHECK_THAT(env.Say("zhangsan", big), Catch::Contains("紧急程度"));
        const auto data = nlohmann::json::parse(env.State("zhangsan").data, nullptr, false);
        REQUIRE(data.is_object());
        const auto stored = data.value("description", "");
        CHECK(!stored.empty());
        CHECK(stored.size() <= wedesk::tickets::kMaxDescriptionBytes);
        CHECK(big.rfind(stored, 0) == 0);  // kept as typed, only cut
        CHECK(wedesk::text::IsValidUtf8(stored));
        const auto confirm = env.Say("zhangsan", "1");
        CHECK(wedesk::text::IsValidUtf8(confirm));
        CHECK(confirm.size() < 2048);
        env.Say("zhangsan", "确认");
        auto d = env.tickets->AdminGet(OnlyTicket(env, "zhangsan"));
        REQUIRE(d.ok());
        CHECK(wedesk::text::IsValidUtf8(d->ticket.description));
        CHECK(big.rfind(d->ticket.description, 0) == 0);
    }
    SECTION("while idle, then filed from the offer") {
        const auto offer = env.Say("zhangsan", big);
        CHECK_THAT(offer, Catch::Contains("提交工单"));
        CHECK(env.State("zhangsan").data.size() < wedesk::tickets::kMaxDescriptionBytes + 1024);
        CHECK_THAT(env.Say("zhangsan", "1"), Catch::Contains("请选择问题类别"));
        CHECK_THAT(env.Say("zhangsan", "1"), Catch::Contains("紧急程度"));
        env.Say("zhangsan", "1");
        CHECK_THAT(env.Say("zhangsan", "确认"), Catch::Contains("已为您创建工单"));
    }
    SECTION("as a command argument") {
        // Not the command with its argument: a (very long) question, not 查询.
        CHECK_THAT(env.Say("zhangsan", "查询 " + big), Catch::Contains("提交工单"));
        env.Say("zhangsan", "取消");
        CHECK_THAT(env.Say("zhangsan", "评价 IT20261127-0001 5 " + big),
                   Catch::Contains("没有找到工单"));
    }
}

TEST_CASE("odd input: invalid UTF-8 never breaks the dialog", "[unit]") {
    BotEnv env;
    const std::string bad = "\xff\xfe\xfd 坏掉的\xc3";
    CHECK_NOTHROW(env.Say("zhangsan", bad));
    env.Say("zhangsan", "取消");
    env.Say("zhangsan", "报修");
    env.Say("zhangsan", "1");
    std::string reply;
    CHECK_NOTHROW(reply = env.Say("zhangsan", bad));
    CHECK(!reply.empty());
    // The stored state is still readable JSON and the flow can be finished or left.
    CHECK(nlohmann::json::parse(env.State("zhangsan").data, nullptr, false).is_object());
    CHECK_THAT(env.Say("zhangsan", "取消"), Catch::Contains("已退出"));
}

TEST_CASE("card buttons: accept, transfer, stale or unknown keys", "[unit]") {
    BotEnv env;
    env.Import(kPeople);
    REQUIRE(env.tickets->SetDuty("eng1", true).ok());
    auto t = env.tickets->Create("zhangsan", "pc", "电脑坏了", "P3");
    REQUIRE(t.ok());
    auto click = [&](const std::string& user, const std::string& key) {
        return env.Handle(CardClick(user, "t-" + t->no + "-1", key)).passive;
    };
    CHECK(click("eng1", "nonsense").text == "已失效");
    CHECK(click("eng1", "ticket_accept:").text == "已失效");
    CHECK(click("eng1", "ticket_accept:IT20991231-0001").text == "无法接单");
    const auto ok = click("eng1", "ticket_accept:" + t->no);
    CHECK(ok.kind == wedesk::wecom::PassiveReply::Kind::kUpdateButton);
    CHECK(ok.text == "已接单");
    CHECK(click("eng1", "ticket_accept:" + t->no).text == "已被接单");
    CHECK(click("zhangsan", "ticket_accept:" + t->no).text == "无法接单");

    CHECK(click("eng1", "ticket_transfer:" + t->no).text == "转派中");
    CHECK(env.State("eng1").flow == "transfer");
    // An unknown or malformed UserID is asked for again; nothing changes.
    CHECK_THAT(env.Say("eng1", "nobody"), Catch::Contains("找不到工程师 nobody"));
    CHECK(env.State("eng1").flow == "transfer");
    CHECK_THAT(env.Say("eng1", "给李四吧"), Catch::Contains("请重新回复同事的姓名"));
    CHECK(env.State("eng1").flow == "transfer");
    CHECK(env.tickets->AdminGet(t->no)->ticket.assignee == "eng1");
    // A command leaves the flow and runs, instead of being taken for a UserID.
    CHECK_THAT(env.Say("eng1", "我的任务"), Catch::Contains(t->no));
    CHECK(env.State("eng1").flow.empty());
}

TEST_CASE("transfer from the card: the colleague gets a new card and the old one is retired",
          "[unit]") {
    BotEnv env;
    env.Import(std::string(kPeople) + "eng2,李工,13800138012,eng2,IT,engineer,desktop\n");
    REQUIRE(env.tickets->SetDuty("eng1", true).ok());
    auto t = env.tickets->Create("zhangsan", "pc", "电脑坏了", "P3");
    REQUIRE(t.ok());
    REQUIRE(t->assignee == "eng1");
    REQUIRE(
        env.tickets->SetDuty("eng2", true).ok());  // an engineer hands over to colleagues on duty
    REQUIRE(env.Handle(CardClick("eng1", "t-" + t->no + "-1", "ticket_transfer:" + t->no))
                .passive.text == "转派中");
    env.notifier.Clear();
    CHECK_THAT(env.Say("eng1", "ENG2"), Catch::Contains("已转派给 李工"));
    CHECK(env.State("eng1").flow.empty());
    CHECK(env.tickets->AdminGet(t->no)->ticket.assignee == "eng2");
    const auto retired = env.notifier.To("t-" + t->no + "-1", "retire");
    REQUIRE(retired.size() == 1);
    CHECK(retired[0].body == "已转派");
    const auto cards = env.notifier.To("eng2", "card");
    REQUIRE(cards.size() == 1);
    CHECK(cards[0].card.id == "t-" + t->no + "-2");
}

TEST_CASE("an image answers a ticket waiting for the employee and resumes it", "[unit]") {
    BotEnv env;
    env.Import(kPeople);
    REQUIRE(env.tickets->SetDuty("eng1", true).ok());
    auto t = env.tickets->Create("zhangsan", "pc", "电脑坏了", "P3");
    REQUIRE(t.ok());
    REQUIRE(env.tickets->Accept(t->no, "eng1").ok());
    REQUIRE(env.tickets->Wait(t->no, "eng1", "请拍一下资产标签").ok());
    REQUIRE(env.tickets->AdminGet(t->no)->ticket.status == wedesk::tickets::Status::kWaiting);
    env.notifier.Clear();
    wedesk::wecom::InboundMessage m;
    m.from_user = "zhangsan";
    m.type = wedesk::wecom::MsgType::kImage;
    m.raw_type = "image";
    m.media_id = "MEDIA_asset_tag";
    CHECK_THAT(env.Handle(m).passive.text, Catch::Contains("并转给工程师"));
    const auto d = env.tickets->AdminGet(t->no);
    REQUIRE(d.ok());
    CHECK(d->ticket.status == wedesk::tickets::Status::kInProgress);
    CHECK_FALSE(d->ticket.paused);
    CHECK(d->ticket.attachments.size() == 1);
    const auto told = env.notifier.To("eng1", "text");
    REQUIRE(told.size() == 1);
    CHECK_THAT(told[0].body, Catch::Contains("已恢复处理"));
}

TEST_CASE("engineer commands are refused to employees", "[unit]") {
    BotEnv env;
    env.Import(kPeople);
    for (const char* cmd : {"接单 IT20261127-0001", "完成 IT20261127-0001"}) {
        INFO(cmd);
        CHECK_THAT(env.Say("zhangsan", cmd), Catch::Contains("工程师使用的命令"));
    }
    // Engineer words alone are not commands for an employee: they are what he said.
    for (const char* words : {"上班", "下班", "我的任务"}) {
        INFO(words);
        const auto reply = env.Say("zhangsan", words);
        CHECK_THAT(reply, !Catch::Contains("工程师使用的命令"));
        CHECK_THAT(reply, !Catch::Contains("已上班"));
        env.Say("zhangsan", "取消");
    }
    CHECK_THAT(env.Say("eng1", "上班"), Catch::Contains("已上班"));
    CHECK_THAT(env.Say("eng1", "帮助"), Catch::Contains("工程师命令"));
    CHECK_THAT(env.Say("zhangsan", "帮助"), !Catch::Contains("工程师命令"));
}
