// The error contract, end to end: a domain refusal is a reply; an infrastructure failure (here
// a SQLite error raised by a trigger on the table the step writes) undoes that delivery alone,
// answers 500 so WeCom delivers it again, and the retry - once the fault is gone - is applied
// exactly once.
#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>

#include "server_helpers.hpp"
#include "ticket_e2e_helpers.hpp"

using wedesk::testing::TestServer;
namespace e2e = wedesk::testing::e2e;

namespace {

/// Makes every INSERT and UPDATE on `table` fail (through another connection to the file, as a
/// full disk or a broken constraint would) until Clear().
class FailingWrites {
public:
    FailingWrites(const std::string& db_path, std::string table)
        : db_(db_path, SQLite::OPEN_READWRITE), table_(std::move(table)) {
        db_.setBusyTimeout(10000);
        for (const char* op : {"INSERT", "UPDATE"}) {
            db_.exec("CREATE TRIGGER fail_" + std::string(op) + " BEFORE " + op + " ON " + table_ +
                     " BEGIN SELECT RAISE(ABORT, 'injected failure on " + table_ + "'); END");
        }
    }
    void Clear() {
        db_.exec("DROP TRIGGER IF EXISTS fail_INSERT");
        db_.exec("DROP TRIGGER IF EXISTS fail_UPDATE");
    }

private:
    SQLite::Database db_;
    std::string table_;
};

wedesk::wecom::InboundMessage TextMessage(TestServer& s, const std::string& user,
                                          const std::string& id, const std::string& text) {
    wedesk::wecom::InboundMessage m;
    m.to_user = s.config().wecom.corp_id;
    m.from_user = user;
    m.create_time = s.clock().NowSeconds();
    m.raw_type = "text";
    m.type = wedesk::wecom::MsgType::kText;
    m.msg_id = id;
    m.content = text;
    m.agent_id = std::to_string(s.config().wecom.agent_id);
    return m;
}

/// Delivers `m` while writes to `table` fail, then again (WeCom's retry) once they work, then
/// once more: 500, then the real answer, then the same answer from the inbound log.
std::string FailThenRetry(TestServer& s, const wedesk::wecom::InboundMessage& m,
                          const std::string& table) {
    const auto logged = s.Count("inbound_messages");
    FailingWrites fault(s.db_path(), table);
    auto failed = s.client().Send(m);
    REQUIRE(failed.ok());
    CHECK(failed->status == 500);
    CHECK(failed->content.empty());
    CHECK(s.Count("inbound_messages") == logged);  // nothing of the delivery was kept
    fault.Clear();

    auto retried = s.client().Send(m);
    REQUIRE(retried.ok());
    CHECK(retried->status == 200);
    auto again = s.client().Send(m);
    REQUIRE(again.ok());
    CHECK(again->status == 200);
    CHECK(again->content == retried->content);
    CHECK(s.Count("inbound_messages") == logged + 1);
    return retried->content;
}

/// Walks the 报修 flow as `user` up to the confirmation question.
void ReachConfirm(TestServer& s, const std::string& user, const std::string& description) {
    CHECK_THAT(e2e::Say(s, user, "报修"), Catch::Contains("请选择问题类别"));
    CHECK_THAT(e2e::Say(s, user, "1"), Catch::Contains("请描述"));
    CHECK_THAT(e2e::Say(s, user, description), Catch::Contains("紧急程度"));
    CHECK_THAT(e2e::Say(s, user, "1"), Catch::Contains("请确认"));
}

}  // namespace

TEST_CASE("a failing ticket INSERT at 确认 answers 500 — the retry files one ticket",
          "[integration][errors]") {
    TestServer s(e2e::TicketsPatch());
    s.ImportUsers(e2e::kPeopleCsv);
    ReachConfirm(s, "zhangsan", "显示器不亮了");

    const auto reply =
        FailThenRetry(s, TextMessage(s, "zhangsan", "7000000000000000001", "确认"), "tickets");
    CHECK_THAT(reply, Catch::Contains("已为您创建工单"));
    CHECK(s.Count("tickets") == 1);
    CHECK(s.Count("tickets", "description = '显示器不亮了'") == 1);
    // The dialog was not lost with the failed delivery: it ended with the filed ticket.
    CHECK_THAT(e2e::Say(s, "zhangsan", "我的工单"), Catch::Contains(e2e::TicketNoIn(reply)));
}

TEST_CASE("a failing dialog write answers 500 and leaves the conversation where it was",
          "[integration][errors]") {
    TestServer s(e2e::TicketsPatch());
    s.ImportUsers(e2e::kPeopleCsv);
    const auto reply =
        FailThenRetry(s, TextMessage(s, "zhangsan", "7000000000000000002", "报修"), "dialogs");
    CHECK_THAT(reply, Catch::Contains("请选择问题类别"));
    CHECK_THAT(e2e::Say(s, "zhangsan", "2"), Catch::Contains("请描述"));
}

TEST_CASE("a failing inbound-log write answers 500 — the retry is answered once",
          "[integration][errors]") {
    TestServer s;
    const auto reply =
        FailThenRetry(s, TextMessage(s, "lisi", "7000000000000000003", "帮助"), "inbound_messages");
    CHECK_THAT(reply, Catch::Contains("报修"));
}

TEST_CASE("a failing outbox write (the engineer's card) undoes the ticket with it",
          "[integration][errors]") {
    TestServer s(e2e::TicketsPatch());
    s.ImportUsers(e2e::kPeopleCsv);
    CHECK_THAT(e2e::Say(s, "eng1", "上班"), Catch::Contains("上班"));
    ReachConfirm(s, "zhangsan", "打印机卡纸");
    const auto outbox = s.Count("outbox");
    const auto reply =
        FailThenRetry(s, TextMessage(s, "zhangsan", "7000000000000000004", "确认"), "outbox");
    CHECK_THAT(reply, Catch::Contains("已为您创建工单"));
    CHECK(s.Count("tickets") == 1);
    CHECK(s.Count("outbox") > outbox);  // the card went out with the retry, not before
}
