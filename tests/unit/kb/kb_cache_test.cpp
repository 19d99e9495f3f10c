// Suggest keeps its query-independent work in memory, tagged with the KB generation counter
// (migration 7). These tests prove the cache never serves stale results: every article or
// synonym change, made through this KnowledgeBase, another one, another Database (another
// process) or a rolled-back transaction, shows in the next Suggest.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "fakes/temp_dir.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"

using namespace wedesk;

namespace {

std::string SamplePath() { return std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md"; }

std::vector<std::string> Titles(const std::vector<kb::Suggestion>& got) {
    std::vector<std::string> out;
    for (const auto& s : got) {
        out.push_back(s.title);
    }
    return out;
}

bool Suggests(kb::KnowledgeBase& kb, const std::string& query, const std::string& title) {
    const auto titles = Titles(kb.Suggest(query, 3));
    return std::find(titles.begin(), titles.end(), title) != titles.end();
}

std::int64_t Generation(store::Database& db) {
    return db.Conn()
        .execAndGet("SELECT value FROM kb_counters WHERE name = 'generation'")
        .getInt64();
}

std::int64_t IdOf(kb::KnowledgeBase& kb, const std::string& title) {
    for (const auto& a : kb.List()) {
        if (a.title == title) {
            return a.id;
        }
    }
    return 0;
}

const char* kBadgeTitle = "工牌丢了怎么补办";

}  // namespace

TEST_CASE("suggest follows article inserts, edits and deletes", "[unit]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb(*db);
    REQUIRE(kb.ImportFile(SamplePath()).ok());

    // Warm the cache, then insert.
    CHECK(kb.Suggest("工牌补办").empty());
    REQUIRE(kb.Upsert({{0, kBadgeTitle, "到前台登记，补办工牌需要一个工作日。", {}}}).ok());
    CHECK(Suggests(kb, "工牌补办", kBadgeTitle));

    // Edit the answer: new Latin words are searchable, and so are typos of them (the typo
    // correction uses the cached vocabulary). Two body words are enough evidence.
    CHECK(kb.Suggest("zebrapass keytool").empty());
    auto edit = kb.Upsert({{0,
                            kBadgeTitle,
                            "到前台登记，补办工牌需要一个工作日。门禁系统叫 ZebraPass KeyTool。",
                            {}}});
    REQUIRE(edit.ok());
    CHECK(edit->updated == 1);
    CHECK(Suggests(kb, "zebrapass keytool", kBadgeTitle));
    CHECK(Suggests(kb, "zebrapas keytol", kBadgeTitle));

    // Edit the keywords only.
    CHECK_FALSE(Suggests(kb, "lanyard", kBadgeTitle));
    REQUIRE(kb.Upsert({{0,
                        kBadgeTitle,
                        "到前台登记，补办工牌需要一个工作日。门禁系统叫 ZebraPass KeyTool。",
                        {"lanyard"}}})
                .ok());
    CHECK(Suggests(kb, "lanyard", kBadgeTitle));

    // Delete.
    REQUIRE(kb.Delete(IdOf(kb, kBadgeTitle)).ok());
    CHECK(kb.Suggest("zebrapass keytool").empty());
    CHECK(kb.Suggest("工牌补办").empty());
}

TEST_CASE("suggest follows synonym groups added and deleted", "[unit]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb(*db);
    REQUIRE(kb.ImportFile(SamplePath()).ok());
    REQUIRE(kb.Upsert({{0, kBadgeTitle, "到前台登记，补办工牌需要一个工作日。", {}}}).ok());

    CHECK(kb.Suggest("胸卡").empty());
    CHECK(kb.Suggest("badge").empty());
    auto id = kb.AddSynonyms({"工牌", "胸卡", "badge"});
    REQUIRE(id.ok());
    CHECK(Suggests(kb, "胸卡", kBadgeTitle));
    CHECK(Suggests(kb, "badge", kBadgeTitle));
    // The group's Latin term joined the vocabulary: its typos are corrected.
    CHECK(Suggests(kb, "bagde", kBadgeTitle));

    REQUIRE(kb.DeleteSynonyms(*id).ok());
    CHECK(kb.Suggest("胸卡").empty());
    CHECK(kb.Suggest("badge").empty());
}

TEST_CASE("changes made through another Database on the same file show at once", "[unit]") {
    // Two Database objects stand for the server and `wedesk admin kb ...` in another process:
    // no memory is shared, only the file.
    testing::TempDir dir;
    auto server_db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase server(*server_db);
    REQUIRE(server.ImportFile(SamplePath()).ok());
    auto admin_db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());

    CHECK(server.Suggest("工牌补办").empty());
    REQUIRE(kb::KnowledgeBase(*admin_db)
                .Upsert({{0, kBadgeTitle, "到前台登记，补办工牌需要一个工作日。", {}}})
                .ok());
    CHECK(Suggests(server, "工牌补办", kBadgeTitle));

    CHECK(server.Suggest("zebrapass keytool").empty());
    REQUIRE(
        kb::KnowledgeBase(*admin_db)
            .Upsert(
                {{0, kBadgeTitle, "补办工牌需要一个工作日。门禁系统叫 ZebraPass KeyTool。", {}}})
            .ok());
    CHECK(Suggests(server, "zebrapas keytol", kBadgeTitle));

    CHECK(server.Suggest("胸卡").empty());
    auto group = kb::KnowledgeBase(*admin_db).AddSynonyms({"工牌", "胸卡"});
    REQUIRE(group.ok());
    CHECK(Suggests(server, "胸卡", kBadgeTitle));
    REQUIRE(kb::KnowledgeBase(*admin_db).DeleteSynonyms(*group).ok());
    CHECK(server.Suggest("胸卡").empty());

    REQUIRE(kb::KnowledgeBase(*admin_db).Delete(IdOf(server, kBadgeTitle)).ok());
    CHECK(server.Suggest("工牌补办").empty());
}

TEST_CASE("a change seen inside a rolled-back transaction is not served afterwards", "[unit]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb(*db);
    REQUIRE(kb.ImportFile(SamplePath()).ok());
    REQUIRE(kb.Upsert({{0, kBadgeTitle, "到前台登记，补办工牌需要一个工作日。", {}}}).ok());
    {
        store::WriteTx tx(*db);
        REQUIRE(kb.AddSynonyms({"工牌", "胸卡"}).ok());
        CHECK(Suggests(kb, "胸卡", kBadgeTitle));  // sees its own uncommitted group
        // Not committed: rolls back.
    }
    // The next committed change is a different one, made before any other Suggest: the
    // synonyms prepared from the rolled-back group must not come back with it.
    REQUIRE(kb.Upsert({{0, "门禁卡失效", "找前台重新授权。", {}}}).ok());
    CHECK(kb.Suggest("胸卡").empty());
    CHECK(Suggests(kb, "门禁卡失效", "门禁卡失效"));
}

TEST_CASE("the generation moves on content changes only, and stats ignore it", "[unit]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb(*db);
    const auto g0 = Generation(*db);
    REQUIRE(kb.ImportFile(SamplePath()).ok());
    const auto g1 = Generation(*db);
    CHECK(g1 > g0);

    // Suggestion counters change on every conversation: they must not invalidate the cache.
    const auto id = IdOf(kb, "电脑蓝屏");
    REQUIRE(id != 0);
    kb.RecordShown({id});
    kb.RecordOpened(id);
    kb.RecordOutcome(id, true);
    kb.RecordOutcome(id, false);
    CHECK(Generation(*db) == g1);
    // Re-importing the same file changes nothing.
    auto again = kb.ImportFile(SamplePath());
    REQUIRE(again.ok());
    CHECK(again->unchanged == again->inserted + again->unchanged + again->updated);
    CHECK(Generation(*db) == g1);

    // The extra kb_counters row does not disturb the statistics.
    const auto s = kb.Stats();
    CHECK(s.conversations_with_suggestions == 1);
    CHECK(s.solved == 1);
    CHECK(s.deflection_rate == Approx(1.0));

    auto syn = kb.AddSynonyms({"工牌", "胸卡"});
    REQUIRE(syn.ok());
    const auto g2 = Generation(*db);
    CHECK(g2 > g1);
    REQUIRE(kb.DeleteSynonyms(*syn).ok());
    CHECK(Generation(*db) > g2);
}

TEST_CASE("concurrent suggestions while the knowledge base changes", "[unit]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb(*db);
    REQUIRE(kb.ImportFile(SamplePath()).ok());

    std::atomic<int> misses{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&] {
            for (int i = 0; i < 40; ++i) {
                if (!Suggests(kb, "vpn连不上", "VPN 连不上怎么办")) {
                    ++misses;
                }
            }
        });
    }
    for (int i = 0; i < 10; ++i) {
        const std::string title = "临时文章 " + std::to_string(i);
        REQUIRE(kb.Upsert({{0, title, "答案 " + std::to_string(i), {}}}).ok());
        REQUIRE(kb.Delete(IdOf(kb, title)).ok());
    }
    for (auto& r : readers) {
        r.join();
    }
    CHECK(misses == 0);
    CHECK(Suggests(kb, "vpn连不上", "VPN 连不上怎么办"));
}
