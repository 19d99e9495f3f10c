// Whole employee conversations through the real encrypted callback over HTTP (issue 3): filing
// a ticket on every path, leaving the flow at every step, a restart mid-flow, duplicate
// deliveries, idle expiry, attachments, the ticket commands, other people's tickets and 50
// employees filing at once.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <set>
#include <thread>
#include <vector>

#include "cli_helpers.hpp"
#include "ticket_e2e_helpers.hpp"
#include "wedesk/common/digest.hpp"
#include "wedesk/sim/inbound_xml.hpp"
#include "wedesk/tickets/ticket_service.hpp"
#include "wedesk/wecom/message.hpp"

using wedesk::testing::TestServer;
using namespace wedesk::testing::e2e;

namespace {

std::string TicketCol(const TestServer& s, const std::string& no, const std::string& col) {
    return Scalar(s, "SELECT " + col + " FROM tickets WHERE no = '" + no + "'");
}

/// Full-width form of an ASCII string (letters, digits, '-').
std::string FullWidth(const std::string& ascii) {
    std::string out;
    for (char c : ascii) {
        const auto cp = static_cast<unsigned>(0xFF01 + (static_cast<unsigned char>(c) - 0x21));
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return out;
}

/// The inner XML of a text message from `user` with a fixed MsgId.
std::string TextXml(TestServer& s, const std::string& user, const std::string& text,
                    const std::string& msg_id) {
    wedesk::wecom::InboundMessage m;
    m.to_user = s.config().wecom.corp_id;
    m.from_user = user;
    m.create_time = s.clock().NowSeconds();
    m.type = wedesk::wecom::MsgType::kText;
    m.raw_type = "text";
    m.content = text;
    m.msg_id = msg_id;
    m.agent_id = std::to_string(s.config().wecom.agent_id);
    return wedesk::sim::BuildInboundXml(m);
}

/// Posts the very same signed request twice (a WeCom retry); both answers must decrypt to the
/// same reply, which is returned.
std::string DeliverTwice(TestServer& s, const std::string& inner_xml) {
    const auto req = s.client().BuildRequest(inner_xml);
    httplib::Client c(s.BaseUrl());
    auto first = c.Post(req.path_and_query, req.body, "text/xml");
    auto second = c.Post(req.path_and_query, req.body, "text/xml");
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(first->status == 200);
    REQUIRE(second->status == 200);
    auto a = s.client().DecodeReply(first->status, first->body);
    auto b = s.client().DecodeReply(second->status, second->body);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->content == b->content);
    return a->content;
}

struct Fixture {
    explicit Fixture(int accept_timeout_min = 600) : s(TicketsPatch(accept_timeout_min)) {
        s.ImportUsers(kPeopleCsv);
        CHECK_THAT(Say(s, "eng1", "上班"), Catch::Contains("已上班"));
    }
    TestServer s;
};

}  // namespace

TEST_CASE("every category and urgency files a ticket with what was chosen", "[integration]") {
    Fixture f;
    auto& s = f.s;
    struct Case {
        int category;
        const char* key;
        int urgency;
        const char* priority;
    };
    const Case cases[] = {{1, "pc", 1, "P3"},
                          {2, "network", 2, "P2"},
                          {3, "printer", 3, "P1"},
                          {4, "other", 1, "P3"}};
    int n = 0;
    for (const auto& c : cases) {
        INFO("category " << c.category);
        const std::string desc = std::string("问题描述 ") + c.key;
        const std::string no = CreateTicket(s, "zhangsan", c.category, desc, c.urgency);
        ++n;
        char expected[32];
        std::snprintf(expected, sizeof expected, "IT20261127-%04d", n);
        CHECK(no == expected);
        CHECK(TicketCol(s, no, "category") == c.key);
        CHECK(TicketCol(s, no, "priority") == c.priority);
        CHECK(TicketCol(s, no, "requester") == "zhangsan");
        CHECK(TicketCol(s, no, "description") == desc);
    }
    // Desktop categories go to the engineer on duty; network (nobody on duty) waits for
    // someone to come on duty.
    CHECK(TicketCol(s, "IT20261127-0001", "assignee") == "eng1");
    CHECK(TicketCol(s, "IT20261127-0002", "assignee").empty());
    CHECK(TicketCol(s, "IT20261127-0002", "status") == "new");
    CHECK(s.Count("dialogs") == 0);

    SECTION("报修 with the description on the same line skips the description step") {
        CHECK_THAT(Say(s, "lisi", "报修 打印机卡纸了"), Catch::Contains("请选择问题类别"));
        CHECK_THAT(Say(s, "lisi", "3"), Catch::Contains("紧急程度"));
        CHECK_THAT(Say(s, "lisi", "2"), Catch::Contains("打印机卡纸了"));
        const auto no = TicketNoIn(Say(s, "lisi", "确认"));
        REQUIRE(!no.empty());
        CHECK(TicketCol(s, no, "description") == "打印机卡纸了");
        CHECK(TicketCol(s, no, "category") == "printer");
        CHECK(TicketCol(s, no, "priority") == "P2");
    }
    SECTION("English alias, full-width choices and wrong answers re-asked") {
        CHECK_THAT(Say(s, "lisi", "NEW"), Catch::Contains("请选择问题类别"));
        CHECK_THAT(Say(s, "lisi", "9"), Catch::Contains("请回复类别前的序号（1-4）"));
        CHECK_THAT(Say(s, "lisi", "😶"), Catch::Contains("请回复类别前的序号"));
        // A category's name works as well as its number.
        CHECK_THAT(Say(s, "lisi", "网络"), Catch::Contains("请描述"));
        CHECK_THAT(Say(s, "lisi", "   "), Catch::Contains("空消息"));
        CHECK_THAT(Say(s, "lisi", "Wi-Fi 连不上 😢"), Catch::Contains("紧急程度"));
        CHECK_THAT(Say(s, "lisi", "5"), Catch::Contains("请回复 1、2、3"));
        CHECK_THAT(Say(s, "lisi", "３"), Catch::Contains("非常紧急"));
        CHECK_THAT(Say(s, "lisi", "再想想"), Catch::Contains("没有提交"));
        CHECK(s.Count("tickets", "requester = 'lisi'") == 0);
        const auto no = TicketNoIn(Say(s, "lisi", "ＯＫ"));
        REQUIRE(!no.empty());
        CHECK(TicketCol(s, no, "category") == "network");
        CHECK(TicketCol(s, no, "priority") == "P1");
        CHECK(TicketCol(s, no, "description") == "Wi-Fi 连不上 😢");
    }
    SECTION("free text while idle offers to file it as a ticket") {
        CHECK_THAT(Say(s, "lisi", "我的电脑蓝屏了"), Catch::Contains("用这段描述提交工单"));
        CHECK_THAT(Say(s, "lisi", "1"), Catch::Contains("请选择问题类别"));
        CHECK_THAT(Say(s, "lisi", "1"), Catch::Contains("紧急程度"));
        CHECK_THAT(Say(s, "lisi", "1"), Catch::Contains("我的电脑蓝屏了"));
        const auto no = TicketNoIn(Say(s, "lisi", "确认"));
        REQUIRE(!no.empty());
        CHECK(TicketCol(s, no, "description") == "我的电脑蓝屏了");
    }
    SECTION("新建工单 and a 20 KB description (cut with a note, still filed)") {
        CHECK_THAT(Say(s, "lisi", "新建工单"), Catch::Contains("请选择问题类别"));
        Say(s, "lisi", "1");
        std::string big;
        while (big.size() < 20 * 1024) {
            big += "很长的描述";
        }
        const auto reply = Say(s, "lisi", big);
        CHECK_THAT(reply, Catch::Contains("紧急程度"));
        CHECK_THAT(reply, Catch::Contains("保留了前"));
        Say(s, "lisi", "1");
        const auto no = TicketNoIn(Say(s, "lisi", "确认"));
        REQUIRE(!no.empty());
        const auto stored = TicketCol(s, no, "description");
        CHECK(!stored.empty());
        CHECK(stored.size() <= wedesk::tickets::kMaxDescriptionBytes);
        CHECK(stored.size() > 10 * 1024);
        CHECK(big.rfind(stored, 0) == 0);
    }
}

TEST_CASE("a flow can be left at every step with 取消, 退出 or cancel", "[integration]") {
    Fixture f;
    auto& s = f.s;
    // What brings the flow to each step, one message at a time.
    const std::vector<std::string> path = {"报修", "1", "电脑很慢", "2"};
    const std::vector<std::string> words = {"取消", "退出", "cancel", " ＣＡＮＣＥＬ "};
    int user_no = 0;
    for (std::size_t step = 1; step <= path.size(); ++step) {
        for (const auto& w : words) {
            const std::string user = "emp" + std::to_string(++user_no);
            INFO("step " << step << " word '" << w << "'");
            for (std::size_t i = 0; i < step; ++i) {
                Say(s, user, path[i]);
            }
            CHECK(s.Count("dialogs", "userid = '" + user + "' AND flow = 'create'") == 1);
            CHECK_THAT(Say(s, user, w), Catch::Contains("已退出"));
            CHECK(s.Count("dialogs", "userid = '" + user + "'") == 0);
            // The next message is not taken as an answer to the abandoned flow.
            CHECK_THAT(Say(s, user, "确认"), !Catch::Contains("已为您创建工单"));
            Say(s, user, "取消");
        }
    }
    CHECK(s.Count("tickets") == 0);
    CHECK_THAT(Say(s, "lisi", "取消"), Catch::Contains("当前没有进行中的操作"));
}

TEST_CASE("a conversation survives restarts mid-flow", "[integration]") {
    Fixture f;
    auto& s = f.s;
    Say(s, "zhangsan", "报修");
    Say(s, "zhangsan", "2");
    s.Restart();
    CHECK_THAT(Say(s, "zhangsan", "VPN 连不上"), Catch::Contains("紧急程度"));
    s.Restart();
    CHECK_THAT(Say(s, "zhangsan", "3"), Catch::Contains("VPN 连不上"));
    s.Restart();
    const auto no = TicketNoIn(Say(s, "zhangsan", "确认"));
    REQUIRE(!no.empty());
    CHECK(TicketCol(s, no, "category") == "network");
    CHECK(TicketCol(s, no, "priority") == "P1");
    CHECK(TicketCol(s, no, "description") == "VPN 连不上");
    CHECK(s.Count("tickets") == 1);
}

TEST_CASE("a MsgId delivered twice advances the dialog once and files one ticket",
          "[integration]") {
    Fixture f;
    auto& s = f.s;
    CHECK_THAT(DeliverTwice(s, TextXml(s, "zhangsan", "报修", "8100000000000000001")),
               Catch::Contains("请选择问题类别"));
    // Processed twice, the second "1" would become the description.
    CHECK_THAT(DeliverTwice(s, TextXml(s, "zhangsan", "1", "8100000000000000002")),
               Catch::Contains("请描述"));
    CHECK_THAT(DeliverTwice(s, TextXml(s, "zhangsan", "鼠标没反应", "8100000000000000003")),
               Catch::Contains("紧急程度"));
    // Processed twice, the second "2" would be a "no" at the confirmation.
    CHECK_THAT(DeliverTwice(s, TextXml(s, "zhangsan", "2", "8100000000000000004")),
               Catch::Contains("请确认"));

    // The confirmation delivered by several WeCom retries at once.
    const auto req = s.client().BuildRequest(TextXml(s, "zhangsan", "确认", "8100000000000000005"));
    std::vector<std::string> replies(4);
    std::vector<int> statuses(4, 0);
    {
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < replies.size(); ++i) {
            threads.emplace_back([&, i] {
                httplib::Client c(s.BaseUrl());
                if (auto res = c.Post(req.path_and_query, req.body, "text/xml")) {
                    statuses[i] = res->status;
                    replies[i] = res->body;
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    std::set<std::string> contents;
    for (std::size_t i = 0; i < replies.size(); ++i) {
        CHECK(statuses[i] == 200);
        auto r = s.client().DecodeReply(statuses[i], replies[i]);
        REQUIRE(r.ok());
        contents.insert(r->content);
    }
    REQUIRE(contents.size() == 1);
    const auto no = TicketNoIn(*contents.begin());
    REQUIRE(!no.empty());
    CHECK(s.Count("tickets") == 1);
    CHECK(TicketCol(s, no, "description") == "鼠标没反应");
    CHECK(TicketCol(s, no, "priority") == "P2");
    CHECK(s.Count("inbound_messages") == 6);  // and the engineer's 上班
    // Exactly one card went to the engineer.
    REQUIRE(WaitForMessage(s.api(), [&](const auto& m) {
                return IsCardWithKey(m, "eng1", "ticket_accept:" + no);
            }).has_value());

    // And once more after a restart: the stored reply, still one ticket.
    s.Restart();
    httplib::Client c(s.BaseUrl());
    auto again = c.Post(req.path_and_query, req.body, "text/xml");
    REQUIRE(again);
    auto r = s.client().DecodeReply(again->status, again->body);
    REQUIRE(r.ok());
    CHECK(r->content == *contents.begin());
    CHECK(s.Count("tickets") == 1);
    CHECK(MessagesTo(s.api(), "eng1", [&](const auto& m) {
              return IsCardWithKey(m, "eng1", "ticket_accept:" + no);
          }).size() == 1);
}

TEST_CASE("an idle flow expires and the next message starts fresh", "[integration]") {
    Fixture f;
    auto& s = f.s;
    const auto timeout = std::chrono::minutes(s.config().tickets.dialog_timeout_min);
    Say(s, "zhangsan", "报修");
    Say(s, "zhangsan", "1");
    CHECK_THAT(Say(s, "zhangsan", "键盘坏了"), Catch::Contains("紧急程度"));
    // Just inside the timeout the flow goes on.
    s.clock().Advance(timeout - std::chrono::minutes(1));
    CHECK_THAT(Say(s, "zhangsan", "5"), Catch::Contains("请回复 1、2、3"));
    // Past it, the flow is gone: "报修" starts over and the old description is not reused.
    s.clock().Advance(timeout + std::chrono::minutes(1));
    const auto fresh = Say(s, "zhangsan", "报修");
    CHECK_THAT(fresh, Catch::Contains("超时"));
    CHECK_THAT(fresh, Catch::Contains("请选择问题类别"));
    CHECK_THAT(Say(s, "zhangsan", "1"), Catch::Contains("请描述"));

    // A stale answer after expiry is not taken as the flow's answer either.
    s.clock().Advance(timeout + std::chrono::minutes(1));
    const auto stale = Say(s, "zhangsan", "确认");
    CHECK_THAT(stale, Catch::Contains("超时"));
    CHECK_THAT(stale, !Catch::Contains("已为您创建工单"));
    CHECK(s.Count("tickets") == 0);
}

TEST_CASE("images sent during the flow attach to the ticket", "[integration]") {
    Fixture f;
    auto& s = f.s;
    Say(s, "zhangsan", "报修");
    auto img1 = s.client().SendImage("zhangsan", "MEDIA_ONE");
    REQUIRE(img1.ok());
    CHECK_THAT(img1->content, Catch::Contains("共 1 个"));
    CHECK_THAT(Say(s, "zhangsan", "1"), Catch::Contains("请描述"));
    auto img2 = s.client().SendImage("zhangsan", "MEDIA_TWO");
    REQUIRE(img2.ok());
    CHECK_THAT(img2->content, Catch::Contains("共 2 个"));
    CHECK_THAT(img2->content, Catch::Contains("请再用文字描述"));
    CHECK_THAT(Say(s, "zhangsan", "显示器花屏"), Catch::Contains("紧急程度"));
    CHECK_THAT(Say(s, "zhangsan", "1"), Catch::Contains("附件：2 个"));
    const auto no = TicketNoIn(Say(s, "zhangsan", "确认"));
    REQUIRE(!no.empty());
    const std::string id = TicketCol(s, no, "id");
    CHECK(s.Count("ticket_attachments", "ticket_id = " + id) == 2);
    CHECK(s.Count("ticket_attachments",
                  "ticket_id = " + id + " AND media_id = 'MEDIA_ONE' AND added_by = 'zhangsan'") ==
          1);
    CHECK(s.Count("ticket_attachments", "ticket_id = " + id + " AND media_id = 'MEDIA_TWO'") == 1);
    CHECK_THAT(Say(s, "zhangsan", "查询 " + no), Catch::Contains("附件：2 个"));

    // While the engineer waits for the employee, an image goes to that ticket.
    Say(s, "eng1", "接单 " + no);
    CHECK_THAT(Say(s, "eng1", "挂起 " + no + " 请拍一下屏幕"), Catch::Contains("已挂起"));
    auto img3 = s.client().SendImage("zhangsan", "MEDIA_THREE");
    REQUIRE(img3.ok());
    CHECK_THAT(img3->content, Catch::Contains(no));
    CHECK(s.Count("ticket_attachments", "ticket_id = " + id) == 3);
}

TEST_CASE("a bare number, 查询 without a space and full-width digits all find the ticket",
          "[integration]") {
    Fixture f;
    auto& s = f.s;
    const auto no = CreateTicket(s, "zhangsan", 1, "投影仪没信号");
    std::string lower = no;
    lower[0] = 'i';
    lower[1] = 't';
    const std::vector<std::string> forms = {no,
                                            " " + no + " ",
                                            lower,
                                            "查询" + no,
                                            "查询 " + no,
                                            "查询：" + no,
                                            "查询" + FullWidth(no),
                                            FullWidth(no),
                                            "query " + no,
                                            "查询　" + no};
    for (const auto& text : forms) {
        INFO(text);
        const auto reply = Say(s, "zhangsan", text);
        CHECK_THAT(reply, Catch::Contains("工单 " + no));
        CHECK_THAT(reply, Catch::Contains("投影仪没信号"));
    }
    // Without a number: the only ticket it can mean.
    CHECK_THAT(Say(s, "zhangsan", "查询"), Catch::Contains("工单 " + no));
    CHECK_THAT(Say(s, "zhangsan", "查询 IT20991231-0001"), Catch::Contains("没有找到工单"));
}

TEST_CASE("employee commands: query, urge, cancel, reopen and rate", "[integration]") {
    Fixture f;
    auto& s = f.s;
    const auto no = CreateTicket(s, "zhangsan", 1, "电脑开不了机");
    // The employee sees status words and urgency, not dispatch jargon or P1.
    const auto shown = Say(s, "zhangsan", "查询 " + no);
    CHECK_THAT(shown, Catch::Contains("待处理"));
    CHECK_THAT(shown, Catch::Contains("紧急程度"));
    CHECK_THAT(shown, !Catch::Contains("P1"));
    CHECK_THAT(shown, !Catch::Contains("已分派"));

    CHECK_THAT(Say(s, "zhangsan", "催办 " + no), Catch::Contains("已催办"));
    REQUIRE(WaitForMessage(s.api(), [&](const auto& m) {
                return IsTextTo(m, "eng1", "催办工单 " + no);
            }).has_value());
    CHECK_THAT(Say(s, "zhangsan", "催办" + no), Catch::Contains("分钟后再试"));
    s.clock().Advance(std::chrono::minutes(31));
    CHECK_THAT(Say(s, "zhangsan", "催办 " + no), Catch::Contains("已催办"));
    CHECK(s.Count("ticket_events", "kind = 'urged'") == 2);

    CHECK_THAT(Say(s, "eng1", "接单 " + no), Catch::Contains("已接单"));
    CHECK_THAT(Say(s, "eng1", "完成 " + no + " 已更换电源"), Catch::Contains("已完成"));
    CHECK(TicketCol(s, no, "status") == "resolved");

    CHECK_THAT(Say(s, "zhangsan", "重开 " + no + " 还是不行"), Catch::Contains("已重新打开"));
    CHECK(TicketCol(s, no, "status") == "in_progress");
    REQUIRE(WaitForMessage(s.api(), [&](const auto& m) {
                return IsTextTo(m, "eng1", "重开了工单 " + no);
            }).has_value());
    Say(s, "eng1", "完成 " + no + " 已更换主板");

    CHECK_THAT(Say(s, "zhangsan", "评价 " + no + " ５ 很快"), Catch::Contains("5 星"));
    CHECK(TicketCol(s, no, "rating") == "5");
    CHECK(TicketCol(s, no, "rating_comment") == "很快");
    CHECK(TicketCol(s, no, "status") == "closed");
    CHECK_THAT(Say(s, "zhangsan", "评价 " + no + " 4"), Catch::Contains("已经评价过了"));

    const auto no2 = CreateTicket(s, "zhangsan", 3, "打印机缺墨");
    CHECK_THAT(Say(s, "zhangsan", "评价 " + no2 + " 5"), Catch::Contains("解决后再评价"));
    CHECK_THAT(Say(s, "zhangsan", "取消工单 " + no2), Catch::Contains("已取消"));
    CHECK(TicketCol(s, no2, "status") == "cancelled");
    REQUIRE(WaitForMessage(s.api(), [&](const auto& m) {
                return IsTextTo(m, "eng1", "工单 " + no2 + " 已被报修人取消");
            }).has_value());
    CHECK_THAT(Say(s, "zhangsan", "取消工单 " + no2), Catch::Contains("无需取消"));
    CHECK_THAT(Say(s, "zhangsan", "催办 " + no2), Catch::Contains("无需催办"));

    const auto mine = Say(s, "zhangsan", "我的工单");
    CHECK_THAT(mine, Catch::Contains(no));
    CHECK_THAT(mine, Catch::Contains(no2));
    CHECK_THAT(Say(s, "zhangsan", "my"), Catch::Contains(no2));
    CHECK_THAT(Say(s, "lisi", "我的工单"), Catch::Contains("还没有工单"));
    // A verb without its number: nothing it can apply to, or the person's own number as the
    // example (never a made-up one).
    for (const char* verb : {"催办", "取消工单", "评价"}) {
        INFO(verb);
        CHECK_THAT(Say(s, "zhangsan", verb), Catch::Contains("没有可以"));
    }
    const auto reopen = Say(s, "zhangsan", "重开");
    CHECK_THAT(reopen, Catch::Contains("请带上工单号，例如：重开 " + no));
    // A rated (closed) ticket can still be reopened while it is fresh: the problem came back.
    CHECK_THAT(Say(s, "zhangsan", "重开 " + no + " 又坏了"), Catch::Contains("已重新打开"));
    CHECK(TicketCol(s, no, "status") == "in_progress");
    CHECK(TicketCol(s, no, "rating").empty());
    CHECK(TicketCol(s, no, "closed_at") == "0");
}

TEST_CASE("another user's ticket is refused exactly like an unknown number", "[integration]") {
    Fixture f;
    auto& s = f.s;
    const auto no = CreateTicket(s, "zhangsan", 1, "工资条打不开");
    const auto before = TicketCol(s, no, "status");
    for (const std::string& text :
         {no, "查询 " + no, "催办 " + no, "取消工单 " + no, "重开 " + no, "评价 " + no + " 1"}) {
        INFO(text);
        const auto reply = Say(s, "lisi", text);
        CHECK_THAT(reply, Catch::Contains("没有找到工单"));
        CHECK_THAT(reply, !Catch::Contains("工资条"));
    }
    // An engineer of the group who is not on the ticket does not see it either.
    CHECK_THAT(Say(s, "eng2", "查询 " + no), Catch::Contains("没有找到工单"));
    CHECK(TicketCol(s, no, "status") == before);
    CHECK(s.Count("ticket_events", "kind IN ('urged','cancelled','rated','reopened')") == 0);
    // The group's lead does.
    CHECK_THAT(Say(s, "lead1", "查询 " + no), Catch::Contains("工资条打不开"));
}

TEST_CASE("50 employees filing at once get 50 distinct numbers and nothing is lost",
          "[integration][concurrency]") {
    TestServer s(TicketsPatch(600));
    s.ImportUsers(kPeopleCsv);
    Say(s, "eng1", "上班");
    Say(s, "eng2", "上班");
    constexpr int kUsers = 50;
    constexpr int kThreads = 8;
    std::vector<std::string> numbers(kUsers);
    std::vector<std::vector<std::string>> errors(kThreads);
    std::vector<std::unique_ptr<wedesk::sim::SimClient>> clients;
    for (int t = 0; t < kThreads; ++t) {
        clients.push_back(s.MakeClient());
    }
    {
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                auto& client = *clients[static_cast<std::size_t>(t)];
                auto& errs = errors[static_cast<std::size_t>(t)];
                for (int u = t; u < kUsers; u += kThreads) {
                    const std::string user = "emp" + std::to_string(u);
                    const std::vector<std::string> lines = {"报修", "1", user + " 的电脑问题", "2",
                                                            "确认"};
                    std::string last;
                    for (std::size_t i = 0; i < lines.size(); ++i) {
                        wedesk::wecom::InboundMessage m;
                        m.from_user = user;
                        m.type = wedesk::wecom::MsgType::kText;
                        m.raw_type = "text";
                        m.content = lines[i];
                        m.msg_id = std::to_string(8200000000000000000ULL +
                                                  static_cast<unsigned long long>(u) * 10 + i);
                        auto r = client.Send(m);
                        if (!r.ok() || r->status != 200) {
                            errs.push_back(user + ": '" + lines[i] + "' failed");
                            break;
                        }
                        last = r->content;
                    }
                    numbers[static_cast<std::size_t>(u)] = TicketNoIn(last);
                    if (numbers[static_cast<std::size_t>(u)].empty()) {
                        errs.push_back(user + ": no ticket number in '" + last + "'");
                    }
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    for (const auto& errs : errors) {
        for (const auto& e : errs) {
            FAIL_CHECK(e);
        }
    }
    const std::set<std::string> distinct(numbers.begin(), numbers.end());
    CHECK(distinct.size() == static_cast<std::size_t>(kUsers));
    CHECK(s.Count("tickets") == kUsers);
    CHECK(s.Count("inbound_messages") == kUsers * 5 + 2);
    CHECK(s.Count("dialogs") == 0);
    CHECK(Scalar(s, "SELECT last FROM ticket_seq") == "50");
    CHECK(Scalar(s, "SELECT MIN(no) FROM tickets") == "IT20261127-0001");
    CHECK(Scalar(s, "SELECT MAX(no) FROM tickets") == "IT20261127-0050");
    for (int u = 0; u < kUsers; ++u) {
        const std::string user = "emp" + std::to_string(u);
        const auto& no = numbers[static_cast<std::size_t>(u)];
        INFO(user << " " << no);
        CHECK(s.Count("tickets", "requester = '" + user + "'") == 1);
        CHECK(TicketCol(s, no, "requester") == user);
        CHECK(TicketCol(s, no, "description") == user + " 的电脑问题");
    }
    // Dispatch saw every assignment: the load is shared evenly.
    CHECK(s.Count("tickets", "assignee = 'eng1'") == kUsers / 2);
    CHECK(s.Count("tickets", "assignee = 'eng2'") == kUsers / 2);
    CHECK(s.Count("ticket_events", "kind = 'created'") == kUsers);
}

TEST_CASE("invalid UTF-8, emoji and empty text through the callback never break the dialog",
          "[integration]") {
    Fixture f;
    auto& s = f.s;
    const std::string bad = "\xff\xfe 坏\xc3";
    auto idle = s.client().SendText("zhangsan", bad);
    REQUIRE(idle.ok());
    CHECK(idle->status == 200);
    Say(s, "zhangsan", "取消");
    Say(s, "zhangsan", "报修");
    Say(s, "zhangsan", "1");
    auto desc = s.client().SendText("zhangsan", bad + " 😀");
    REQUIRE(desc.ok());
    CHECK(desc->status == 200);
    CHECK_THAT(desc->content, Catch::Contains("紧急程度"));
    Say(s, "zhangsan", "1");
    const auto no = TicketNoIn(Say(s, "zhangsan", "确认"));
    REQUIRE(!no.empty());
    CHECK(s.Count("tickets") == 1);
    CHECK_THAT(Say(s, "zhangsan", ""), Catch::Contains("空消息"));
}

TEST_CASE("a waiting ticket gets the employee's answer even after an unanswered offer",
          "[integration]") {
    Fixture f;
    auto& s = f.s;
    const auto no = CreateTicket(s, "zhangsan", 1, "电脑很卡");
    Say(s, "eng1", "接单 " + no);
    // The employee asks something else and leaves the bot's offer unanswered ...
    CHECK_THAT(Say(s, "zhangsan", "会议室投影怎么连"), Catch::Contains("提交工单"));
    // ... then the engineer needs information, and the employee's next message is the answer.
    Say(s, "eng1", "挂起 " + no + " 请提供资产编号");
    CHECK_THAT(Say(s, "zhangsan", "资产编号 B7788"), Catch::Contains("已将您的回复转给工程师"));
    CHECK(TicketCol(s, no, "status") == "in_progress");
    REQUIRE(WaitForMessage(s.api(), [&](const auto& m) {
                return IsTextTo(m, "eng1", "资产编号 B7788");
            }).has_value());
}

TEST_CASE("a file sent in the chat reaches the engineer's phone and the admin's listing",
          "[integration][concurrency]") {
    Fixture f;
    auto& s = f.s;
    // The member sends a file: it lands at (emulated) WeCom, the callback carries its MediaId.
    const std::string log = "2026-12-03 10:02 setup.exe: error 0x80070005 (access denied)\n";
    const auto media = s.api().AddMedia({"file", "setup.log", "text/plain", log});
    Say(s, "zhangsan", "报修");
    auto sent = s.client().SendMedia("zhangsan", "file", media, "安装日志.log");
    REQUIRE(sent.ok());
    CHECK_THAT(sent->content, Catch::Contains("共 1 个"));
    Say(s, "zhangsan", "1");
    Say(s, "zhangsan", "装软件报错，日志附上");
    Say(s, "zhangsan", "1");
    const auto no = TicketNoIn(Say(s, "zhangsan", "确认"));
    REQUIRE(!no.empty());

    // Fetched at once (media/get), stored, and forwarded to the engineer (media/upload + file).
    auto file = WaitForMessage(s.api(), [&](const wedesk::sim::ReceivedMessage& m) {
        return m.touser == "eng1" && m.msgtype == "file";
    });
    REQUIRE(file.has_value());
    CHECK(file->media_name == "安装日志.log");
    const auto forwarded = s.api().MediaOf(file->body["file"]["media_id"].get<std::string>());
    REQUIRE(forwarded.has_value());
    CHECK(forwarded->bytes == log);
    CHECK(s.Count("ticket_attachments",
                  "state = 'stored' AND sha256 = '" + wedesk::Sha256Hex(log) + "'") == 1);

    // The engineer asks for it again a week later (WeCom's media_id is long gone by then).
    s.clock().Advance(std::chrono::hours(24 * 7));
    CHECK_THAT(Say(s, "eng1", "附件 " + no), Catch::Contains("1 个附件马上发给您"));
    REQUIRE(s.api().WaitForMessages(s.api().Received().size() + 1, std::chrono::seconds(10)));
    CHECK_THAT(Say(s, "lisi", "附件 " + no), Catch::Contains("没有找到工单"));

    // The admin sees the file, its size, sha256 and where it is.
    auto cfg_json = wedesk::testing::BaseConfigJson(s.config().tickets.attachments.dir + "/..");
    cfg_json["database"]["path"] = s.db_path();
    cfg_json["tickets"] = {{"attachments", {{"dir", s.config().tickets.attachments.dir}}}};
    const auto cfg = wedesk::testing::WriteConfig(s.config().tickets.attachments.dir + "/..",
                                                  cfg_json, "admin.json");
    const auto shown =
        wedesk::testing::RunWedesk({"admin", "tickets", "show", no, "--config", cfg});
    INFO(shown.err);
    REQUIRE(shown.exit_code == 0);
    CHECK_THAT(shown.out, Catch::Contains("Files:\n  文件 安装日志.log · 61 B · sha256 " +
                                          wedesk::Sha256Hex(log).substr(0, 12)));
    CHECK_THAT(shown.out, Catch::Contains(no + "-1.log"));
}
