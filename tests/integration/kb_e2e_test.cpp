// The knowledge base end to end through the real encrypted callback: the sample KB is imported
// into the server's database file (twice: no duplicates), then an employee talks to the bot as
// WeCom would. Suggestion → read → solved; → not solved → ticket; the 报修 flow's description
// step offering articles ("继续提交" goes on to urgency); odd queries (punctuation, emoji, 5 KB of
// text) answered sanely; shown/opened/solved recorded.
#include <catch2/catch.hpp>

#include "wedesk/common/text.hpp"

#include <SQLiteCpp/Database.h>

#include <string>

#include "server_helpers.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"

using wedesk::testing::TestServer;

namespace {

constexpr const char* kUsers =
    "userid,name,mobile,account,department,role,groups\n"
    "zhangsan,张三,13800000011,zhangsan,财务部,employee,\n";

std::string SamplePath() { return std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md"; }

/// Imports the sample KB into the server's database file, as `wedesk admin kb import` does.
wedesk::kb::ImportReport ImportSample(TestServer& s) {
    auto db = wedesk::store::Database::Open(s.db_path(), wedesk::schema::All());
    wedesk::kb::KnowledgeBase kb(*db);
    auto r = kb.ImportFile(SamplePath());
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    return *r;
}

std::string Say(TestServer& s, const std::string& text, const std::string& user = "zhangsan") {
    auto r = s.client().SendText(user, text);
    INFO(text);
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    return r->content;
}

struct ArticleRow {
    long long id = 0;
    long long shown = 0;
    long long opened = 0;
    long long solved = 0;
    long long unsolved = 0;
};

ArticleRow Article(const TestServer& s, const std::string& title) {
    SQLite::Database db(s.db_path(), SQLite::OPEN_READONLY);
    SQLite::Statement st(db,
                         "SELECT id, shown, opened, solved, unsolved FROM kb_articles "
                         "WHERE title = ?");
    st.bind(1, title);
    ArticleRow r;
    if (st.executeStep()) {
        r.id = st.getColumn(0).getInt64();
        r.shown = st.getColumn(1).getInt64();
        r.opened = st.getColumn(2).getInt64();
        r.solved = st.getColumn(3).getInt64();
        r.unsolved = st.getColumn(4).getInt64();
    }
    return r;
}

wedesk::kb::KbStats Stats(const TestServer& s) {
    auto db = wedesk::store::Database::Open(s.db_path(), wedesk::schema::All());
    return wedesk::kb::KnowledgeBase(*db).Stats();
}

/// The number in front of `title` in a numbered list ("2. VPN 连不上怎么办"), "" when absent.
std::string NumberOf(const std::string& list, const std::string& title) {
    const auto at = list.find(". " + title);
    if (at == std::string::npos || at == 0) {
        return "";
    }
    auto start = list.rfind('\n', at);
    start = start == std::string::npos ? 0 : start + 1;
    return list.substr(start, at - start);
}

/// The last option of a numbered list ("4. 都不是，提交工单" → "4").
std::string LastOption(const std::string& list, const std::string& label) {
    const auto at = list.find(". " + label);
    if (at == std::string::npos) {
        return "";
    }
    auto start = list.rfind('\n', at);
    start = start == std::string::npos ? 0 : start + 1;
    return list.substr(start, at - start);
}

}  // namespace

TEST_CASE("kb e2e: importing the sample twice into the server's database does not duplicate",
          "[integration][kb]") {
    TestServer s;
    const auto first = ImportSample(s);
    CHECK(first.inserted > 10);
    CHECK(first.updated == 0);
    const long long n = s.Count("kb_articles");
    CHECK(n == first.inserted);

    const auto second = ImportSample(s);
    CHECK(second.inserted == 0);
    CHECK(second.updated == 0);
    CHECK(second.unchanged == first.inserted);
    CHECK(s.Count("kb_articles") == n);
    CHECK(s.Count("kb_articles", "title = 'VPN 连不上怎么办'") == 1);

    // The running server sees the imported articles without a restart.
    const std::string reply = Say(s, "VPN 连不上");
    CHECK_THAT(reply, Catch::Contains("VPN 连不上怎么办"));
}

TEST_CASE("kb e2e: suggestion, read, solved — no ticket, stats recorded", "[integration][kb]") {
    TestServer s;
    s.ImportUsers(kUsers);
    ImportSample(s);

    const std::string list = Say(s, "VPN 连不上怎么办？在家办公");
    CHECK_THAT(list, Catch::Contains("我找到这些可能有用的解答"));
    CHECK_THAT(list, Catch::Contains("都不是，提交工单"));
    const std::string n = NumberOf(list, "VPN 连不上怎么办");
    REQUIRE_FALSE(n.empty());
    const auto vpn = Article(s, "VPN 连不上怎么办");
    CHECK(vpn.shown == 1);
    CHECK(vpn.opened == 0);

    const std::string answer = Say(s, n);
    CHECK_THAT(answer, Catch::Contains("【VPN 连不上怎么办】"));
    CHECK_THAT(answer, Catch::Contains("GlobalProtect"));
    CHECK_THAT(answer, Catch::Contains("这解决您的问题了吗"));
    CHECK(Article(s, "VPN 连不上怎么办").opened == 1);

    const std::string done = Say(s, "1");
    CHECK_THAT(done, Catch::Contains("问题已解决"));
    const auto after = Article(s, "VPN 连不上怎么办");
    CHECK(after.shown == 1);
    CHECK(after.opened == 1);
    CHECK(after.solved == 1);
    CHECK(after.unsolved == 0);
    CHECK(s.Count("tickets") == 0);
    CHECK(s.Count("dialogs", "userid = 'zhangsan'") == 0);  // back to idle

    const auto stats = Stats(s);
    CHECK(stats.conversations_with_suggestions == 1);
    CHECK(stats.solved == 1);
    CHECK(stats.deflection_rate == Approx(1.0));

    // Idle again: a new question gets new suggestions.
    CHECK_THAT(Say(s, "打印机打不出来"), Catch::Contains("打印机无法打印"));
}

TEST_CASE("kb e2e: suggestion, read, not solved — the ticket carries the question",
          "[integration][kb]") {
    TestServer s;
    s.ImportUsers(kUsers);
    ImportSample(s);

    const std::string question = "打印机打不出来，队列里一直卡着";
    const std::string list = Say(s, question);
    const std::string n = NumberOf(list, "打印机无法打印");
    REQUIRE_FALSE(n.empty());
    CHECK_THAT(Say(s, n), Catch::Contains("【打印机无法打印】"));

    const std::string category = Say(s, "2");
    CHECK_THAT(category, Catch::Contains("请选择问题类别"));
    const auto printer = Article(s, "打印机无法打印");
    CHECK(printer.opened == 1);
    CHECK(printer.unsolved == 1);
    CHECK(printer.solved == 0);

    // The question is the description: category → urgency → confirm.
    CHECK_THAT(Say(s, "1"), Catch::Contains("请选择紧急程度"));
    const std::string confirm = Say(s, "2");
    CHECK_THAT(confirm, Catch::Contains("请确认工单信息"));
    CHECK_THAT(confirm, Catch::Contains(question));
    const std::string created = Say(s, "确认");
    CHECK_THAT(created, Catch::Contains("已为您创建工单 IT"));
    CHECK(s.Count("tickets") == 1);
    CHECK(s.Count("tickets", "requester = 'zhangsan' AND priority = 'P2' AND description = '" +
                                 question + "'") == 1);

    const auto stats = Stats(s);
    CHECK(stats.conversations_with_suggestions == 1);
    CHECK(stats.solved == 0);
    REQUIRE_FALSE(stats.most_failing.empty());
    CHECK(stats.most_failing.front().title == "打印机无法打印");
}

TEST_CASE("kb e2e: '都不是' on the suggestion list goes straight to a ticket",
          "[integration][kb]") {
    TestServer s;
    s.ImportUsers(kUsers);
    ImportSample(s);

    const std::string list = Say(s, "Outlook 收不到邮件");
    const std::string other = LastOption(list, "都不是，提交工单");
    REQUIRE_FALSE(other.empty());
    CHECK_THAT(Say(s, other), Catch::Contains("请选择问题类别"));
    CHECK_THAT(Say(s, "1"), Catch::Contains("请选择紧急程度"));
    CHECK_THAT(Say(s, "1"), Catch::Contains("Outlook 收不到邮件"));
    CHECK_THAT(Say(s, "确认"), Catch::Contains("已为您创建工单 IT"));
    CHECK(s.Count("tickets", "description = 'Outlook 收不到邮件' AND priority = 'P3'") == 1);
    CHECK(s.Count("kb_articles", "opened > 0") == 0);
}

TEST_CASE("kb e2e: the 报修 description step offers articles - 继续提交 goes on to urgency",
          "[integration][kb]") {
    TestServer s;
    s.ImportUsers(kUsers);
    ImportSample(s);

    SECTION("继续提交工单 files the ticket") {
        CHECK_THAT(Say(s, "报修"), Catch::Contains("请选择问题类别"));
        CHECK_THAT(Say(s, "1"), Catch::Contains("请描述您遇到的问题"));
        const std::string offer = Say(s, "连不上公司 Wi-Fi，手机可以");
        CHECK_THAT(offer, Catch::Contains("提交前，这些文章也许能直接解决您的问题"));
        CHECK_THAT(offer, Catch::Contains("连不上公司 Wi-Fi"));
        const std::string go_on = LastOption(offer, "都不是，继续提交工单");
        REQUIRE_FALSE(go_on.empty());
        CHECK(Article(s, "连不上公司 Wi-Fi").shown == 1);

        CHECK_THAT(Say(s, go_on), Catch::Contains("请选择紧急程度"));
        CHECK_THAT(Say(s, "3"), Catch::Contains("非常紧急"));
        CHECK_THAT(Say(s, "确认"), Catch::Contains("已为您创建工单 IT"));
        CHECK(s.Count("tickets",
                      "priority = 'P1' AND description = '连不上公司 Wi-Fi，手机可以'") == 1);
        CHECK(Article(s, "连不上公司 Wi-Fi").opened == 0);
    }

    SECTION("reading an article that does not help continues to urgency") {
        Say(s, "报修");
        Say(s, "1");
        const std::string offer = Say(s, "连不上公司 Wi-Fi，手机可以");
        const std::string n = NumberOf(offer, "连不上公司 Wi-Fi");
        REQUIRE_FALSE(n.empty());
        CHECK_THAT(Say(s, n), Catch::Contains("【连不上公司 Wi-Fi】"));
        const std::string urgency = Say(s, "2");
        CHECK_THAT(urgency, Catch::Contains("继续提交工单"));
        CHECK_THAT(urgency, Catch::Contains("请选择紧急程度"));
        Say(s, "1");
        CHECK_THAT(Say(s, "确认"), Catch::Contains("已为您创建工单 IT"));
        CHECK(s.Count("tickets") == 1);
        CHECK(Article(s, "连不上公司 Wi-Fi").unsolved == 1);
    }

    SECTION("an article that helps ends the flow without a ticket") {
        Say(s, "报修");
        Say(s, "1");
        const std::string offer = Say(s, "连不上公司 Wi-Fi，手机可以");
        const std::string n = NumberOf(offer, "连不上公司 Wi-Fi");
        REQUIRE_FALSE(n.empty());
        Say(s, n);
        CHECK_THAT(Say(s, "1"), Catch::Contains("问题已解决"));
        CHECK(s.Count("tickets") == 0);
        CHECK(s.Count("dialogs", "userid = 'zhangsan'") == 0);
        CHECK(Article(s, "连不上公司 Wi-Fi").solved == 1);
        CHECK(Stats(s).solved == 1);
    }
}

TEST_CASE("kb e2e: punctuation, emoji and 5 KB of text get a sane answer", "[integration][kb]") {
    TestServer s;
    s.ImportUsers(kUsers);
    ImportSample(s);

    SECTION("punctuation only") {
        for (const char* q :
             {"？？？！！！。。。", "...!!!???", "，；：“”‘’（）【】", "@#$%^&*()_+"}) {
            INFO(q);
            // Nothing to search and nothing to file a ticket with: ask for words.
            CHECK_THAT(Say(s, q), Catch::Contains("请用文字描述您遇到的问题"));
        }
        CHECK(s.Count("dialogs", "flow <> ''") == 0);
    }
    SECTION("emoji only, and emoji around a real question") {
        CHECK_THAT(Say(s, "😀😀🔥🔥👍"), Catch::Contains("请用文字描述您遇到的问题"));
        CHECK_THAT(Say(s, "👍…“”【】。、"), Catch::Contains("请用文字描述您遇到的问题"));
        CHECK(s.Count("dialogs", "flow <> ''") == 0);
        CHECK_THAT(Say(s, "😭 打印机打不出来 🖨️🖨️"),
                   Catch::Contains("打印机无法打印"));
    }
    SECTION("5 KB of text, then filed as a ticket") {
        std::string big;
        while (big.size() < 5 * 1024) {
            big += "我的电脑今天早上开机以后非常慢，打开任何软件都要等很久。";
        }
        const std::string reply = Say(s, big);
        CHECK(reply.size() <= 2048);
        CHECK_THAT(reply, Catch::Contains("电脑很卡很慢"));
        const std::string other = LastOption(reply, "都不是，提交工单");
        REQUIRE_FALSE(other.empty());
        CHECK_THAT(Say(s, other), Catch::Contains("请选择问题类别"));
        CHECK_THAT(Say(s, "1"), Catch::Contains("请选择紧急程度"));
        const std::string confirm = Say(s, "1");
        CHECK_THAT(confirm, Catch::Contains("请确认工单信息"));
        CHECK(confirm.size() <= 2048);
        CHECK_THAT(Say(s, "确认"), Catch::Contains("已为您创建工单 IT"));
        // Kept whole, as typed (it is within tickets::kMaxDescriptionBytes).
        CHECK(s.Count("tickets", "length(CAST(description AS BLOB)) = " +
                                     std::to_string(wedesk::text::Trim(big).size())) == 1);
    }
    SECTION("5 KB of text that names a known problem") {
        std::string printer = "打印机打不出来。";
        while (printer.size() < 5 * 1024) {
            printer += "打印机打不出来，";
        }
        CHECK_THAT(Say(s, printer), Catch::Contains("打印机无法打印"));
    }
    SECTION("invalid UTF-8") {
        CHECK_THAT(Say(s, "\xff\xfe\xfd\xc0"), Catch::Contains("请用文字描述您遇到的问题"));
        const std::string reply = Say(s, "打印机\xff打不出来\xc0");
        CHECK_THAT(reply, Catch::Contains("打印机无法打印"));
        CHECK_THAT(Say(s, "取消"), Catch::Contains("已退出"));
    }
    CHECK(s.Count("inbound_messages") > 0);
}

TEST_CASE("kb e2e: a question whose article did not help, filed as a ticket, is a gap",
          "[integration]") {
    TestServer s;
    s.ImportUsers(kUsers);
    ImportSample(s);
    CHECK_THAT(Say(s, "报表工具XYZ一直打不开"), Catch::Contains("1."));
    CHECK_THAT(Say(s, "1"), Catch::Contains("这解决您的问题了吗"));
    CHECK_THAT(Say(s, "2"), Catch::Contains("请选择问题类别"));
    Say(s, "1");
    Say(s, "1");
    const std::string filed = Say(s, "确认");
    CHECK_THAT(filed, Catch::Contains("已为您创建工单"));
    auto db = wedesk::store::Database::Open(s.db_path(), wedesk::schema::All());
    const auto gaps = wedesk::kb::KnowledgeBase(*db).Gaps(0, s.clock().NowSeconds() + 1);
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].sample == "报表工具XYZ一直打不开");
    CHECK(gaps[0].unsolved == 1);
    REQUIRE(gaps[0].tickets.size() == 1);
    CHECK_THAT(filed, Catch::Contains(gaps[0].tickets[0]));
}
