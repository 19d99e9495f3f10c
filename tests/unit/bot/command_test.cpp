// ParseCommand / LeadingTicketNo / ParseChoice: spaces or none, full-width forms, case, English
// aliases, ratings, and text that is not a command.
#include <catch2/catch.hpp>

#include "wedesk/bot/command.hpp"

using wedesk::bot::CommandKind;
using wedesk::bot::LeadingTicketNo;
using wedesk::bot::ParseChoice;
using wedesk::bot::ParseCommand;

namespace {
constexpr const char* kNo = "IT20261127-0001";
}

TEST_CASE("ticket commands with or without a space, any separator, any case", "[unit]") {
    for (const char* text :
         {"查询 IT20261127-0001", "查询IT20261127-0001", "查询：IT20261127-0001",
          "查询:it20261127-0001", "  查询   IT20261127-0001  ", "查询#IT20261127-0001",
          "查询　IT20261127-0001", "query IT20261127-0001", "QUERY it20261127-0001",
          "IT20261127-0001", "it20261127-0001", " IT20261127-0001 "}) {
        INFO(text);
        const auto c = ParseCommand(text);
        CHECK(c.kind == CommandKind::kQuery);
        CHECK(c.ticket_no == kNo);
        CHECK_FALSE(c.missing_ticket);
    }
}

TEST_CASE("full-width digits, letters and punctuation are folded", "[unit]") {
    const auto c = ParseCommand("查询ＩＴ２０２６１１２７－０００１");
    CHECK(c.kind == CommandKind::kQuery);
    CHECK(c.ticket_no == kNo);
    const auto bare = ParseCommand("ＩＴ２０２６１１２７－０００１");
    CHECK(bare.kind == CommandKind::kQuery);
    CHECK(bare.ticket_no == kNo);
    const auto r = ParseCommand("评价 ＩＴ２０２６１１２７－０００１ ５");
    CHECK(r.kind == CommandKind::kRate);
    CHECK(r.score == 5);
    CHECK(ParseCommand("ＨＥＬＰ").kind == CommandKind::kHelp);
    CHECK(ParseCommand("ｃａｎｃｅｌ").kind == CommandKind::kCancel);
}

TEST_CASE("each verb and its English alias", "[unit]") {
    struct Case {
        const char* text;
        CommandKind kind;
        const char* arg;
    };
    const Case cases[] = {
        {"催办 IT20261127-0001", CommandKind::kUrge, ""},
        {"urge IT20261127-0001", CommandKind::kUrge, ""},
        {"取消工单 IT20261127-0001", CommandKind::kCancelTicket, ""},
        {"cancel ticket IT20261127-0001", CommandKind::kCancelTicket, ""},
        {"重开 IT20261127-0001 还是坏的", CommandKind::kReopen, "还是坏的"},
        {"reopen IT20261127-0001", CommandKind::kReopen, ""},
        {"接单 IT20261127-0001", CommandKind::kAccept, ""},
        {"accept IT20261127-0001", CommandKind::kAccept, ""},
        {"备注 IT20261127-0001 已远程检查", CommandKind::kNote, "已远程检查"},
        {"note IT20261127-0001 checked", CommandKind::kNote, "checked"},
        {"转派 IT20261127-0001 Eng2", CommandKind::kTransfer, "Eng2"},
        {"转派IT20261127-0001eng2", CommandKind::kTransfer, "eng2"},
        {"transfer IT20261127-0001 eng2", CommandKind::kTransfer, "eng2"},
        {"挂起 IT20261127-0001 请提供资产编号", CommandKind::kWait, "请提供资产编号"},
        {"wait IT20261127-0001 need info", CommandKind::kWait, "need info"},
        {"完成 IT20261127-0001 已处理", CommandKind::kResolve, "已处理"},
        {"完成 IT20261127-0001", CommandKind::kResolve, ""},
        {"resolve IT20261127-0001 done", CommandKind::kResolve, "done"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const auto cmd = ParseCommand(c.text);
        CHECK(cmd.kind == c.kind);
        CHECK(cmd.ticket_no == kNo);
        CHECK(cmd.arg == c.arg);
    }
}

TEST_CASE("commands without a ticket number", "[unit]") {
    struct Case {
        const char* text;
        CommandKind kind;
    };
    const Case cases[] = {
        {"报修", CommandKind::kNewTicket},
        {"新建工单", CommandKind::kNewTicket},
        {"new", CommandKind::kNewTicket},
        {"NEW", CommandKind::kNewTicket},
        {"我的工单", CommandKind::kMyTickets},
        {"my", CommandKind::kMyTickets},
        {"tickets", CommandKind::kMyTickets},
        {"我的任务", CommandKind::kMyTasks},
        {"tasks", CommandKind::kMyTasks},
        {"上班", CommandKind::kOnDuty},
        {"on duty", CommandKind::kOnDuty},
        {"下班", CommandKind::kOffDuty},
        {"off duty", CommandKind::kOffDuty},
        {"帮助", CommandKind::kHelp},
        {"help", CommandKind::kHelp},
        {"菜单", CommandKind::kHelp},
        {"menu", CommandKind::kHelp},
        {"?", CommandKind::kHelp},
        {"重置密码", CommandKind::kResetPassword},
        {"reset password", CommandKind::kResetPassword},
        {"解锁账号", CommandKind::kUnlock},
        {"unlock", CommandKind::kUnlock},
        {"取消", CommandKind::kCancel},
        {"退出", CommandKind::kCancel},
        {"cancel", CommandKind::kCancel},
        {"Cancel", CommandKind::kCancel},
        {"exit", CommandKind::kCancel},
        {"quit", CommandKind::kCancel},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        CHECK(ParseCommand(c.text).kind == c.kind);
    }
    const auto with_text = ParseCommand("报修 打印机卡纸了");
    CHECK(with_text.kind == CommandKind::kNewTicket);
    CHECK(with_text.arg == "打印机卡纸了");
}

TEST_CASE("a verb without its number is recognised as missing one", "[unit]") {
    for (const char* text :
         {"查询", "催办", "取消工单", "重开", "评价", "接单", "完成", "催办一下"}) {
        INFO(text);
        const auto c = ParseCommand(text);
        CHECK(c.kind != CommandKind::kNone);
        CHECK(c.missing_ticket);
        CHECK(c.ticket_no.empty());
    }
}

TEST_CASE("ratings: score and comment", "[unit]") {
    auto c = ParseCommand("评价 IT20261127-0001 5 很满意");
    CHECK(c.kind == CommandKind::kRate);
    CHECK(c.score == 5);
    CHECK(c.arg == "很满意");
    c = ParseCommand("评价IT20261127-0001 4分");
    CHECK(c.score == 4);
    CHECK(c.arg.empty());
    c = ParseCommand("rate IT20261127-0001 3");
    CHECK(c.kind == CommandKind::kRate);
    CHECK(c.score == 3);
    for (const char* bad :
         {"评价 IT20261127-0001 6", "评价 IT20261127-0001 0", "评价 IT20261127-0001 10",
          "评价 IT20261127-0001 好", "评价 IT20261127-0001"}) {
        INFO(bad);
        const auto b = ParseCommand(bad);
        CHECK(b.kind == CommandKind::kRate);
        CHECK(b.score == 0);
    }
}

TEST_CASE("free text is not a command", "[unit]") {
    for (const std::string& text :
         {std::string(""), std::string("   "), std::string("打印机坏了"), std::string("hello"),
          std::string("news about the printer"), std::string("我的电脑蓝屏了"), std::string("😀😀"),
          std::string("IT20261127-0001 还没人处理"), std::string("accept"),
          std::string("完成 马上"), std::string("重开机以后蓝屏"), std::string("查询系统打不开"),
          std::string("上班的时候电脑开不了机"), std::string("报修电话是多少"),
          std::string("query tomorrow"), std::string(10 * 1024, 'x'),
          std::string("\xff\xfe\xfd")}) {
        INFO(text.substr(0, 40));
        CHECK(ParseCommand(text).kind == CommandKind::kNone);
    }
}

TEST_CASE("LeadingTicketNo and ParseChoice", "[unit]") {
    CHECK(LeadingTicketNo("IT20261127-0001 rest") == std::optional<std::string>(kNo));
    CHECK(LeadingTicketNo("it20261127-0001") == std::optional<std::string>(kNo));
    CHECK_FALSE(LeadingTicketNo("IT20261127-00012").has_value());
    CHECK_FALSE(LeadingTicketNo("IT2026112-0001").has_value());
    CHECK_FALSE(LeadingTicketNo("IT20261127_0001").has_value());
    CHECK_FALSE(LeadingTicketNo("XX20261127-0001").has_value());
    CHECK_FALSE(LeadingTicketNo("").has_value());

    CHECK(ParseChoice("1") == std::optional<int>(1));
    CHECK(ParseChoice(" 3 ") == std::optional<int>(3));
    CHECK(ParseChoice("１") == std::optional<int>(1));
    CHECK(ParseChoice("　９　") == std::optional<int>(9));
    CHECK(ParseChoice("1。") == std::optional<int>(1));
    for (const char* bad : {"0", "10", "１０", "a", "", "一", "1.5", "-1"}) {
        INFO(bad);
        CHECK_FALSE(ParseChoice(bad).has_value());
    }
}
