// Learning from outcomes: 解决了 / 没解决 and tickets filed after unanswered suggestions move an
// article for questions worded alike, with decay, a cap, a fresh start when the article is
// edited, and an admin reset.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "fakes/fake_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"

using namespace wedesk;

namespace {

constexpr const char* kQuestion = "打印机坏了";

struct Fixture {
    testing::TempDir dir;
    std::unique_ptr<store::Database> db =
        store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    testing::FakeClock clock{1'790'000'000};
    kb::KnowledgeBase kb{*db, &clock};

    Fixture() { REQUIRE(kb.ImportFile(std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md").ok()); }

    std::vector<std::int64_t> Ranked(const std::string& q) {
        std::vector<std::int64_t> ids;
        for (const auto& s : kb.Suggest(q, 3)) {
            ids.push_back(s.id);
        }
        return ids;
    }
    /// `question` asked, `article` read, and the outcome told.
    void Tell(const std::string& question, std::int64_t article, bool solved) {
        const auto top = kb.Suggest(question, 3);
        const auto qid = kb.RecordQuestion("u1", question, !top.empty(), clock.NowSeconds(),
                                           top.empty() ? 0 : top.front().id);
        REQUIRE(qid > 0);
        kb.RecordQuestionOutcome(qid, article, solved);
    }
    double FactorOf(std::int64_t id) {
        for (const auto& l : kb.Learning()) {
            if (l.id == id) {
                return l.factor;
            }
        }
        return 1.0;
    }
};

}  // namespace

TEST_CASE("kb learning: what people said moves an article for alike questions only", "[unit]") {
    Fixture f;
    const auto before = f.Ranked(kQuestion);
    REQUIRE(before.size() >= 2);
    const auto first = before[0];   // 打印机无法打印
    const auto second = before[1];  // 添加网络打印机
    const auto unrelated = f.Ranked("VPN连不上");

    for (int i = 0; i < 2; ++i) {
        f.Tell(kQuestion, first, false);
        f.Tell(kQuestion, second, true);
    }
    CHECK(f.Ranked(kQuestion).front() == second);
    CHECK(f.Ranked("打印机坏了怎么办").front() == second);  // worded alike
    CHECK(f.Ranked("VPN连不上") == unrelated);              // nothing to do with it

    const auto learned = f.kb.Learning();
    REQUIRE(learned.size() == 2);
    CHECK(f.FactorOf(second) == Approx(1.3));
    CHECK(f.FactorOf(first) == Approx(0.7));
    for (const auto& l : learned) {
        CHECK(l.questions == std::vector<std::string>{kQuestion});
        CHECK(l.solved + l.unsolved == 2);
    }

    // Signals fade: half after 30 days, gone after 180.
    f.clock.Advance(std::chrono::hours(24 * 30));
    CHECK(f.FactorOf(second) == Approx(1.15));
    f.clock.Advance(std::chrono::hours(24 * 151));
    CHECK(f.kb.Learning().empty());
    CHECK(f.Ranked(kQuestion) == before);
}

TEST_CASE(
    "kb learning: capped, forgotten on edit, reset by an admin, and a ticket after "
    "unanswered suggestions counts against the first one",
    "[unit]") {
    Fixture f;
    const auto before = f.Ranked(kQuestion);
    REQUIRE(before.size() >= 2);
    const auto first = before[0];
    const auto second = before[1];
    for (int i = 0; i < 20; ++i) {
        f.Tell(kQuestion, second, true);
    }
    CHECK(f.FactorOf(second) == Approx(1.5));  // the cap, however many

    // A ticket filed right after suggestions nobody answered: a weaker 没解决 for the first.
    const auto qid = f.kb.RecordQuestion("u2", kQuestion, true, f.clock.NowSeconds(), first);
    f.kb.LinkTicket(qid, "IT20261203-0001");
    CHECK(f.FactorOf(first) == Approx(0.925));
    // ... but not when the person had said 没解决 already (that counted).
    const auto told = f.kb.RecordQuestion("u3", kQuestion, true, f.clock.NowSeconds(), first);
    f.kb.RecordQuestionOutcome(told, first, false);
    f.kb.LinkTicket(told, "IT20261203-0002");
    CHECK(f.FactorOf(first) == Approx(0.775));

    // Editing the article starts its learning afresh.
    auto article = f.kb.Get(second);
    REQUIRE(article.has_value());
    article->answer += "\n补充：先重启打印机。";
    REQUIRE(f.kb.Upsert({*article}).ok());
    CHECK(f.FactorOf(second) == Approx(1.0));

    auto reset = f.kb.ResetLearning(first);
    REQUIRE(reset.ok());
    CHECK(*reset == 2);
    CHECK(f.kb.Learning().empty());
    CHECK(f.Ranked(kQuestion) == before);
    CHECK(*f.kb.ResetLearning() == 20);  // the edited article's old signals
    CHECK(*f.kb.ResetLearning() == 0);
}
