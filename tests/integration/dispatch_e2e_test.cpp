// Dispatch end to end (issue 4): a ticket filed through the encrypted callback sends a card to
// the right engineer at the emulated WeCom API; the card's buttons and the engineer commands
// drive the ticket; timeouts re-dispatch; notifications survive WeCom errors, outages and a
// restart of wedesk, each delivered exactly once.
#include <catch2/catch.hpp>

#include <algorithm>

#include "ticket_e2e_helpers.hpp"

using wedesk::sim::ReceivedMessage;
using wedesk::testing::TestServer;
using namespace wedesk::testing::e2e;

namespace {

std::string TicketCol(const TestServer& s, const std::string& no, const std::string& col) {
    return Scalar(s, "SELECT " + col + " FROM tickets WHERE no = '" + no + "'");
}

ReceivedMessage WaitCard(TestServer& s, const std::string& user, const std::string& no) {
    auto m = WaitForMessage(s.api(), [&](const ReceivedMessage& r) {
        return IsCardWithKey(r, user, "ticket_accept:" + no);
    });
    INFO("card for " << no << " to " << user);
    REQUIRE(m.has_value());
    return *m;
}

ReceivedMessage WaitText(TestServer& s, const std::string& user, const std::string& needle) {
    auto m = WaitForMessage(s.api(),
                            [&](const ReceivedMessage& r) { return IsTextTo(r, user, needle); });
    INFO("text to " << user << " containing " << needle);
    REQUIRE(m.has_value());
    return *m;
}

std::size_t TextsTo(TestServer& s, const std::string& user, const std::string& needle) {
    return MessagesTo(s.api(), user,
                      [&](const ReceivedMessage& r) { return IsTextTo(r, user, needle); })
        .size();
}

wedesk::sim::SimReply Click(TestServer& s, const std::string& user, const ReceivedMessage& card,
                            const std::string& key) {
    auto r = s.client().ClickCard(user, TaskId(card), key);
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    return *r;
}

/// Runs background passes, moving the fake clock past any retry backoff in between, until
/// nothing is pending in the outbox (at most `rounds` passes).
void DrainOutbox(TestServer& s, int rounds = 10) {
    for (int i = 0; i < rounds && s.Count("outbox", "status = 'pending'") > 0; ++i) {
        s.clock().Advance(std::chrono::minutes(11));  // > max backoff (600 s)
        s.app().RunBackgroundOnce();
    }
}

}  // namespace

TEST_CASE("card to the engineer, accept by button, resolve, rate", "[integration]") {
    TestServer s(TicketsPatch(600));
    s.ImportUsers(kPeopleCsv);
    Say(s, "eng1", "上班");
    const auto no = CreateTicket(s, "zhangsan", 1, "电脑开不了机", 2);

    const auto card = WaitCard(s, "eng1", no);
    CHECK(card.touser == "eng1");
    CHECK(card.msgtype == "template_card");
    CHECK(card.body["template_card"]["card_type"] == "button_interaction");
    CHECK(ButtonKeys(card) ==
          std::vector<std::string>{"ticket_accept:" + no, "ticket_transfer:" + no});
    CHECK_THAT(card.body.dump(), Catch::Contains("电脑开不了机"));
    CHECK(MessagesTo(s.api(), "eng2").empty());

    const auto click = Click(s, "eng1", card, "ticket_accept:" + no);
    CHECK(click.msg_type == "update_button");
    CHECK(click.content == "已接单");
    // WeCom retrying the same click event: the stored answer, nothing done twice.
    CHECK(Click(s, "eng1", card, "ticket_accept:" + no).content == "已接单");
    CHECK(TicketCol(s, no, "status") == "in_progress");
    CHECK(TicketCol(s, no, "assignee") == "eng1");
    WaitText(s, "zhangsan", "已由 王工 受理");

    CHECK_THAT(Say(s, "eng1", "完成 " + no + " 已处理"), Catch::Contains("已完成"));
    CHECK(TicketCol(s, no, "status") == "resolved");
    CHECK(TicketCol(s, no, "resolution") == "已处理");
    // The employee gets a card: five rating buttons and 还没解决; one tap rates.
    auto resolved = WaitForMessage(s.api(), [&](const ReceivedMessage& m) {
        return IsCardWithKey(m, "zhangsan", "ticket_rate:" + no + ":5");
    });
    REQUIRE(resolved.has_value());
    const auto keys = ButtonKeys(*resolved);
    CHECK(std::find(keys.begin(), keys.end(), "ticket_reopen:" + no) != keys.end());
    CHECK_THAT(wedesk::sim::DescribeMessage(resolved->msgtype, resolved->body),
               Catch::Contains("已处理"));
    CHECK(Click(s, "zhangsan", *resolved, "ticket_rate:" + no + ":5").content == "已评价 5 星");
    WaitText(s, "zhangsan", "感谢您的评价");
    CHECK(TicketCol(s, no, "rating") == "5");
    CHECK(TicketCol(s, no, "status") == "closed");
    WaitText(s, "eng1", "收到 5 星评价");

    // Each notification once; one access token for all of them.
    CHECK(TextsTo(s, "zhangsan", "受理") == 1);
    CHECK(MessagesTo(s.api(), "zhangsan", [&](const ReceivedMessage& m) {
              return IsCardWithKey(m, "zhangsan", "ticket_reopen:" + no);
          }).size() == 1);
    CHECK(MessagesTo(s.api(), "eng1", [&](const ReceivedMessage& m) {
              return IsCardWithKey(m, "eng1", "ticket_accept:" + no);
          }).size() == 1);
    CHECK(s.api().Received().size() >= 4);
    CHECK(s.api().GettokenCalls() == 1);
    CHECK(s.Count("ticket_events", "kind = 'accepted' AND actor = 'eng1'") == 1);
}

TEST_CASE("transfer by command and by the 转派 button — a second accept is refused politely",
          "[integration]") {
    TestServer s(TicketsPatch(600));
    s.ImportUsers(kPeopleCsv);
    Say(s, "eng1", "上班");
    const auto no = CreateTicket(s, "zhangsan", 3, "打印机卡纸");
    const auto first_card = WaitCard(s, "eng1", no);
    // An engineer hands over only to a colleague on duty.
    CHECK_THAT(Say(s, "eng1", "转派 " + no + " ENG2"), Catch::Contains("不在班"));
    Say(s, "eng2", "上班");

    SECTION("转派 NO name-or-userid reason") {
        CHECK_THAT(Say(s, "eng1", "转派 " + no + " nobody"), Catch::Contains("找不到工程师"));
        CHECK_THAT(Say(s, "eng1", "转派 " + no + " zhangsan"), Catch::Contains("找不到工程师"));
        CHECK_THAT(Say(s, "eng1", "转派 " + no + " 赵工 他负责打印机"),
                   Catch::Contains("已转派给 赵工"));
        CHECK(s.Count("ticket_events", "kind = 'transferred' AND detail LIKE '%他负责打印机%'") ==
              1);
    }
    SECTION("the 转派 button, then a colleague picked on the card") {
        Click(s, "eng1", first_card, "ticket_transfer:" + no);
        const auto picker = WaitForMessage(s.api(), [&](const ReceivedMessage& r) {
            return IsCardWithKey(r, "eng1", "ticket_transfer_to:" + no);
        });
        REQUIRE(picker.has_value());
        // Nothing chosen: refused, the picker stays usable.
        auto none = s.client().ClickCard("eng1", TaskId(*picker), "ticket_transfer_to:" + no);
        REQUIRE(none.ok());
        CHECK(none->msg_type.empty());
        WaitText(s, "eng1", "请先选择要转给的同事");
        s.clock().Advance(std::chrono::seconds(1));
        auto picked = s.client().ClickCard("eng1", TaskId(*picker), "ticket_transfer_to:" + no,
                                           {{"to", "eng2"}});
        REQUIRE(picked.ok());
        CHECK(picked->msg_type == "update_button");
        CHECK(picked->content == "已转派");
        WaitText(s, "eng1", "已转派给 赵工");
        CHECK(s.Count("dialogs", "userid = 'eng1'") == 0);
    }
    SECTION("the 转派 button, then the userid typed") {
        const auto click = Click(s, "eng1", first_card, "ticket_transfer:" + no);
        CHECK(click.msg_type == "update_button");
        CHECK(click.content == "转派中");
        // The on-duty colleagues come as a picker card; typing a name works as well.
        const auto picker = WaitForMessage(s.api(), [&](const ReceivedMessage& r) {
            return IsCardWithKey(r, "eng1", "ticket_transfer_to:" + no);
        });
        REQUIRE(picker.has_value());
        const auto& sel = picker->body["template_card"]["button_selection"];
        CHECK(sel["question_key"] == "to");
        CHECK(sel["option_list"] ==
              nlohmann::json::array({{{"id", "eng2"}, {"text", "赵工（eng2）"}}}));
        // Words that are no UserID, or nobody's, are asked for again; a command leaves.
        CHECK_THAT(Say(s, "eng1", "转给赵工"), Catch::Contains("请重新回复同事的姓名"));
        CHECK_THAT(Say(s, "eng1", "zhaogong"), Catch::Contains("找不到工程师 zhaogong"));
        CHECK(TicketCol(s, no, "assignee") == "eng1");
        CHECK_THAT(Say(s, "eng1", "eng2"), Catch::Contains("已转派给 赵工"));
        CHECK(s.Count("dialogs", "userid = 'eng1'") == 0);
    }
    CHECK(TicketCol(s, no, "assignee") == "eng2");
    CHECK(TicketCol(s, no, "status") == "assigned");
    WaitText(s, "zhangsan", "已转交 赵工");
    const auto card2 = WaitCard(s, "eng2", no);
    CHECK(TaskId(card2) != TaskId(first_card));
    // eng1's card is greyed out at WeCom with the code WeCom gave when it was sent.
    REQUIRE(s.api().WaitForUpdates(1, std::chrono::seconds(10)));
    const auto retired = s.api().Updates().front();
    CHECK(retired.body["userids"] == nlohmann::json::array({"eng1"}));
    CHECK(retired.body["button"]["replace_name"] == "已转派");
    CHECK(retired.body["response_code"] == first_card.response_code);

    // Someone outside the group cannot take it; the new assignee can.
    CHECK_THAT(Say(s, "neteng", "接单 " + no), Catch::Contains("没有找到工单"));
    CHECK(Click(s, "eng2", card2, "ticket_accept:" + no).content == "已接单");
    WaitText(s, "zhangsan", "已由 赵工 受理");

    // The old card's accept button: refused with a clear message, the ticket stays with eng2.
    s.clock().Advance(std::chrono::seconds(1));
    const auto late = Click(s, "eng1", first_card, "ticket_accept:" + no);
    CHECK(late.msg_type == "update_button");
    CHECK(late.content == "已被接单");
    WaitText(s, "eng1", "已由 赵工 接单");
    CHECK_THAT(Say(s, "lead1", "接单 " + no), Catch::Contains("已由 赵工 接单"));
    CHECK(TicketCol(s, no, "assignee") == "eng2");
    CHECK(TicketCol(s, no, "status") == "in_progress");
    CHECK(s.Count("ticket_events", "kind = 'accepted'") == 1);
}

TEST_CASE("an unaccepted ticket moves to the next engineer after accept_timeout_min",
          "[integration]") {
    TestServer s(TicketsPatch(15), std::nullopt, /*background_threads=*/false);
    s.ImportUsers(kPeopleCsv);
    Say(s, "eng1", "上班");
    Say(s, "eng2", "上班");
    const auto no = CreateTicket(s, "zhangsan", 1, "电脑很慢");
    const std::string first = TicketCol(s, no, "assignee");
    REQUIRE((first == "eng1" || first == "eng2"));
    const std::string second = first == "eng1" ? "eng2" : "eng1";
    s.app().RunBackgroundOnce();
    WaitCard(s, first, no);

    s.clock().Advance(std::chrono::minutes(14));
    s.app().RunBackgroundOnce();
    CHECK(TicketCol(s, no, "assignee") == first);
    CHECK(MessagesTo(s.api(), second).empty());

    s.clock().Advance(std::chrono::minutes(2));
    s.app().RunBackgroundOnce();
    CHECK(TicketCol(s, no, "assignee") == second);
    CHECK(TicketCol(s, no, "status") == "assigned");
    const auto card = WaitCard(s, second, no);
    WaitText(s, "lead1", "未接单，已改派给");
    WaitText(s, first, "超时未接单");
    CHECK(s.Count("ticket_events", "kind = 'redispatched'") == 1);

    // A further pass right away does not move it again.
    s.app().RunBackgroundOnce();
    CHECK(TicketCol(s, no, "assignee") == second);
    CHECK(Click(s, second, card, "ticket_accept:" + no).content == "已接单");
    CHECK(TicketCol(s, no, "status") == "in_progress");
}

TEST_CASE("errors and outages of WeCom: every notification delivered exactly once",
          "[integration]") {
    TestServer s(TicketsPatch(1440), std::nullopt, /*background_threads=*/false);
    s.ImportUsers(kPeopleCsv);
    Say(s, "eng1", "上班");

    // errcode -1 (system busy) twice, then the card goes through.
    s.api().FailNext(2, -1);
    const auto no = CreateTicket(s, "zhangsan", 1, "邮件发不出去");
    s.app().RunBackgroundOnce();
    CHECK(s.api().Received().empty());
    DrainOutbox(s);
    CHECK(s.Count("outbox", "status = 'pending'") == 0);
    WaitCard(s, "eng1", no);

    // WeCom down while the engineer works, and wedesk restarted in between.
    s.api().SetDown(true);
    CHECK_THAT(Say(s, "eng1", "接单 " + no), Catch::Contains("已接单"));
    CHECK_THAT(Say(s, "eng1", "完成 " + no + " 已修复"), Catch::Contains("已完成"));
    s.app().RunBackgroundOnce();
    s.clock().Advance(std::chrono::minutes(11));
    s.app().RunBackgroundOnce();
    s.Restart();
    s.app().RunBackgroundOnce();
    CHECK(s.Count("outbox", "status = 'pending' AND userid = 'zhangsan'") == 2);
    CHECK(s.Count("outbox", "status = 'parked'") == 0);
    s.api().SetDown(false);
    DrainOutbox(s);
    CHECK(s.Count("outbox", "status != 'sent'") == 0);

    const auto to_employee = MessagesTo(s.api(), "zhangsan");
    REQUIRE(to_employee.size() == 2);
    CHECK_THAT(TextOf(to_employee[0]), Catch::Contains("受理"));
    CHECK_THAT(wedesk::sim::DescribeMessage(to_employee[1].msgtype, to_employee[1].body),
               Catch::Contains("已修复"));
    CHECK(MessagesTo(s.api(), "eng1").size() == 1);
    CHECK(s.api().DuplicatesDropped() == 0);
}

TEST_CASE("the outbox worker delivers once WeCom is back, without a test driving it",
          "[integration][concurrency]") {
    TestServer s(TicketsPatch(1440));
    s.ImportUsers(kPeopleCsv);
    Say(s, "eng1", "上班");
    s.api().SetDown(true);
    const auto no = CreateTicket(s, "zhangsan", 1, "蓝屏");
    s.api().SetDown(false);
    // The worker's failed attempt may still be under way and schedule its retry after any one
    // clock move: move the fake clock past the backoff until the card is in.
    std::optional<ReceivedMessage> delivered;
    for (int i = 0; i < 10 && !delivered; ++i) {
        s.clock().Advance(std::chrono::minutes(11));
        delivered = WaitForMessage(
            s.api(),
            [&](const ReceivedMessage& m) {
                return IsCardWithKey(m, "eng1", "ticket_accept:" + no);
            },
            std::chrono::seconds(3));
    }
    REQUIRE(delivered.has_value());
    const auto card = *delivered;
    CHECK(Click(s, "eng1", card, "ticket_accept:" + no).content == "已接单");
    Say(s, "eng1", "备注 " + no + " 远程中");
    CHECK_THAT(Say(s, "eng1", "挂起 " + no + " 请重启一次"), Catch::Contains("已挂起"));
    WaitText(s, "zhangsan", "请重启一次");
    Say(s, "zhangsan", "重启了还是不行");
    // Messages to one user go out in order: once this later one is in, the card's row is
    // settled for good, so the counts below are final.
    WaitText(s, "eng1", "报修人回复：重启了还是不行");
    CHECK(MessagesTo(s.api(), "eng1", [&](const ReceivedMessage& m) {
              return IsCardWithKey(m, "eng1", "ticket_accept:" + no);
          }).size() == 1);
    CHECK(TextsTo(s, "zhangsan", "受理") == 1);
}

TEST_CASE("挂起 waits for the employee — their next message resumes the ticket", "[integration]") {
    TestServer s(TicketsPatch(600));
    s.ImportUsers(kPeopleCsv);
    Say(s, "eng1", "上班");
    const auto no = CreateTicket(s, "zhangsan", 1, "电脑进不了系统");
    CHECK_THAT(Say(s, "eng1", "挂起 " + no + " 请提供资产编号"), Catch::Contains("请先接单"));
    CHECK_THAT(Say(s, "eng1", "接单 " + no), Catch::Contains("已接单"));
    CHECK_THAT(Say(s, "eng1", "挂起 " + no), Catch::Contains("请写上需要员工补充的内容"));
    CHECK_THAT(Say(s, "eng1", "备注 " + no + " 怀疑硬盘坏了"), Catch::Contains("备注已记录"));
    CHECK_THAT(Say(s, "eng1", "挂起 " + no + " 请提供电脑资产编号"), Catch::Contains("已挂起"));
    CHECK(TicketCol(s, no, "status") == "waiting");
    CHECK(TicketCol(s, no, "paused_since") != "0");
    WaitText(s, "zhangsan", "需要您补充信息：请提供电脑资产编号");
    // The employee sees the question, not the internal note.
    const auto detail = Say(s, "zhangsan", "查询 " + no);
    CHECK_THAT(detail, Catch::Contains("等待您回复"));
    CHECK_THAT(detail, !Catch::Contains("硬盘"));

    s.clock().Advance(std::chrono::minutes(20));
    CHECK_THAT(Say(s, "zhangsan", "资产编号 A12345"), Catch::Contains("已将您的回复转给工程师"));
    CHECK(TicketCol(s, no, "status") == "in_progress");
    CHECK(TicketCol(s, no, "paused_since") == "0");
    CHECK(s.Count("ticket_pauses", "end_at IS NOT NULL AND end_at - start_at = 1200") == 1);
    WaitText(s, "eng1", "报修人回复：资产编号 A12345");
    // The next message is ordinary again.
    CHECK_THAT(Say(s, "zhangsan", "资产编号 A12345"), !Catch::Contains("转给工程师"));

    // Asked again, the employee answers with a photo: that resumes the ticket too.
    CHECK_THAT(Say(s, "eng1", "挂起 " + no + " 请拍一下资产标签"), Catch::Contains("已挂起"));
    auto photo = s.client().SendImage("zhangsan", "MEDIA_asset_tag");
    REQUIRE(photo.ok());
    CHECK_THAT(photo->content, Catch::Contains("已将附件添加到工单 " + no + " 并转给工程师"));
    CHECK(TicketCol(s, no, "status") == "in_progress");
    CHECK(TicketCol(s, no, "paused_since") == "0");
    CHECK(s.Count("ticket_attachments", "media_id = 'MEDIA_asset_tag'") == 1);
    WaitText(s, "eng1", "报修人补充了附件，已恢复处理");
}

TEST_CASE("上班 and 下班 steer dispatch — 我的任务 lists the engineer's open tickets",
          "[integration]") {
    TestServer s(TicketsPatch(600));
    s.ImportUsers(kPeopleCsv);
    CHECK_THAT(Say(s, "eng1", "上班"), Catch::Contains("已上班"));
    CHECK(Scalar(s, "SELECT on_duty FROM users WHERE userid = 'eng1'") == "1");
    const auto no1 = CreateTicket(s, "zhangsan", 1, "第一个问题");
    CHECK(TicketCol(s, no1, "assignee") == "eng1");

    CHECK_THAT(Say(s, "eng1", "下班"), Catch::Contains("已下班"));
    CHECK(Scalar(s, "SELECT on_duty FROM users WHERE userid = 'eng1'") == "0");
    const auto no2 = CreateTicket(s, "zhangsan", 1, "第二个问题");
    // Nobody on duty: it waits (the off-duty lead is not handed it) and the employee is told.
    CHECK(TicketCol(s, no2, "assignee").empty());
    CHECK(TicketCol(s, no2, "status") == "new");
    CHECK(MessagesTo(s.api(), "lead1").empty());

    CHECK_THAT(Say(s, "eng2", "on duty"), Catch::Contains("已上班"));
    const auto no3 = CreateTicket(s, "lisi", 3, "第三个问题");
    CHECK(TicketCol(s, no3, "assignee") == "eng2");
    WaitCard(s, "eng2", no3);

    const auto tasks = Say(s, "eng1", "我的任务");
    CHECK_THAT(tasks, Catch::Contains(no1));
    CHECK_THAT(tasks, !Catch::Contains(no2));
    CHECK_THAT(tasks, !Catch::Contains(no3));
    CHECK_THAT(Say(s, "eng2", "tasks"), Catch::Contains(no3));
    CHECK_THAT(Say(s, "neteng", "我的任务"), Catch::Contains("没有未完成的工单"));

    // An engineer command with its ticket is refused to employees; engineer words alone are
    // not commands for them at all.
    CHECK_THAT(Say(s, "zhangsan", "接单 IT20261127-0001"), Catch::Contains("工程师使用的命令"));
    for (const char* words : {"上班", "下班", "我的任务"}) {
        INFO(words);
        CHECK_THAT(Say(s, "zhangsan", words), !Catch::Contains("已上班"));
        Say(s, "zhangsan", "取消");
    }
    CHECK(Scalar(s, "SELECT on_duty FROM users WHERE userid = 'zhangsan'") == "0");
    CHECK(TicketCol(s, "IT20261127-0001", "status") == "assigned");
}

TEST_CASE("我的工单 from the app menu: a card to pick a ticket, 查看 and 催办 by a tap",
          "[integration]") {
    TestServer s(TicketsPatch(600));
    s.ImportUsers(kPeopleCsv);
    Say(s, "eng1", "上班");
    const auto first = CreateTicket(s, "zhangsan", 1, "电脑开不了机", 1);
    s.clock().Advance(std::chrono::seconds(5));
    const auto second = CreateTicket(s, "zhangsan", 3, "打印机卡纸", 1);

    auto menu = s.client().SendEvent("zhangsan", "click", "MENU_MY_TICKETS");
    REQUIRE(menu.ok());
    CHECK(menu->msg_type.empty());  // the card is the answer
    const auto card = WaitForMessage(
        s.api(), [&](const ReceivedMessage& r) { return IsCardWithKey(r, "zhangsan", "my_view"); });
    REQUIRE(card.has_value());
    const auto& sel = card->body["template_card"]["button_selection"];
    CHECK(sel["selected_id"] == second);  // newest first
    REQUIRE(sel["option_list"].size() == 2);
    CHECK(sel["option_list"][1]["text"] == first + " 待处理");
    CHECK(ButtonKeys(*card) == std::vector<std::string>{"my_view", "my_urge"});

    auto view = s.client().ClickCard("zhangsan", TaskId(*card), "my_view", {{"no", first}});
    REQUIRE(view.ok());
    CHECK(view->msg_type.empty());  // the card stays usable
    WaitText(s, "zhangsan", "描述：电脑开不了机");
    s.clock().Advance(std::chrono::seconds(1));
    auto urge = s.client().ClickCard("zhangsan", TaskId(*card), "my_urge", {{"no", first}});
    REQUIRE(urge.ok());
    WaitText(s, "zhangsan", "已催办工单 " + first);
    CHECK(s.Count("ticket_events", "kind = 'urged'") == 1);

    // Someone else's card or number: nothing of zhangsan's is shown.
    s.clock().Advance(std::chrono::seconds(1));
    REQUIRE(s.client().ClickCard("lisi", TaskId(*card), "my_view", {{"no", first}}).ok());
    WaitText(s, "lisi", "没有找到工单");
    // Typed, 我的工单 is still the list.
    CHECK_THAT(Say(s, "zhangsan", "我的工单"), Catch::Contains(first));
}
