// Search quality on the sample knowledge base: recall@3 over realistic queries (typos,
// colloquial phrasing, English words, two-character queries) and silence on chit-chat.
#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fakes/temp_dir.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"

using namespace wedesk;

namespace {

nlohmann::json LoadQueries() {
    std::ifstream in(std::string(WEDESK_TEST_DATA_DIR) + "/kb_queries.json");
    std::stringstream buf;
    buf << in.rdbuf();
    return nlohmann::json::parse(buf.str());
}

}  // namespace

TEST_CASE("recall@3 on the sample knowledge base is at least 90%", "[unit]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb(*db);
    auto rep = kb.ImportFile(std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md");
    REQUIRE(rep.ok());
    REQUIRE(rep->inserted >= 30);

    const auto doc = LoadQueries();
    const auto& queries = doc.at("queries");
    REQUIRE(queries.size() >= 60);
    int hits = 0;
    std::size_t listed = 0;
    for (const auto& item : queries) {
        const auto q = item.at("q").get<std::string>();
        const auto expect = item.at("expect").get<std::vector<std::string>>();
        const auto got = kb.Suggest(q, 3);
        listed += got.size();
        bool hit = false;
        for (const auto& s : got) {
            hit = hit || std::find(expect.begin(), expect.end(), s.title) != expect.end();
        }
        if (hit) {
            ++hits;
        } else {
            std::string titles;
            for (const auto& s : got) {
                titles += " [" + s.title + "]";
            }
            WARN("miss: " << q << " ->" << (titles.empty() ? " (nothing)" : titles));
        }
    }
    const double recall = static_cast<double>(hits) / static_cast<double>(queries.size());
    std::cout << "kb recall@3: " << hits << "/" << queries.size() << " = " << recall * 100.0
              << "%\n";
    CHECK(recall >= 0.90);
    // No padding: articles far below the best one are left out, so the lists stay short
    // (2.6 articles a query before the floor, about 1.7 with it).
    const double per_query = static_cast<double>(listed) / static_cast<double>(queries.size());
    std::cout << "kb suggestions per query: " << per_query << "\n";
    CHECK(per_query <= 2.0);
}

TEST_CASE("nonsense and chit-chat get no suggestion", "[unit]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb(*db);
    REQUIRE(kb.ImportFile(std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md").ok());
    const auto doc = LoadQueries();
    REQUIRE(doc.at("nonsense").size() >= 10);
    for (const auto& item : doc.at("nonsense")) {
        const auto q = item.get<std::string>();
        const auto got = kb.Suggest(q, 3);
        INFO("query: " << q << (got.empty() ? "" : " -> " + got[0].title));
        CHECK(got.empty());
    }
}

TEST_CASE("fault words prefer the fault article, how-to words the how-to one", "[unit]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb(*db);
    REQUIRE(kb.ImportFile(std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md").ok());
    struct Case {
        const char* q;
        const char* first;
    };
    for (const auto& c :
         {Case{"打印机用不了", "打印机无法打印"}, Case{"怎么加打印机", "添加网络打印机"},
          Case{"笔记本开不了机了", "电脑开机黑屏或显示器没信号"}}) {
        INFO(c.q);
        const auto got = kb.Suggest(c.q, 3);
        REQUIRE_FALSE(got.empty());
        CHECK(got.front().title == c.first);
    }
}
