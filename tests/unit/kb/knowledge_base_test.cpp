// KnowledgeBase behaviour: import (Markdown, JSON, idempotence, all-or-nothing), hostile
// queries, synonyms, counters and the deflection rate, writes inside a caller's transaction.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "fakes/temp_dir.hpp"
#include "wedesk/kb/knowledge_base.hpp"
#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"

using namespace wedesk;

namespace {

struct Fixture {
    testing::TempDir dir;
    std::unique_ptr<store::Database> db =
        store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb{*db};

    void LoadSample() {
        auto r = kb.ImportFile(std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md");
        REQUIRE(r.ok());
    }
    std::string WriteFile(const std::string& name, const std::string& content) {
        const std::string path = dir.File(name);
        std::ofstream(path, std::ios::binary) << content;
        return path;
    }
    std::int64_t IdOf(const std::string& title) {
        for (const auto& a : kb.List()) {
            if (a.title == title) {
                return a.id;
            }
        }
        FAIL("no article " << title);
        return 0;
    }
};

const char* kTwoArticles = R"(# 示例

开头的说明不属于任何文章。

## 打印机无法打印
检查纸张和墨粉。
### 小标题也属于答案
关键词：打印, printer，卡纸

## VPN 连不上
```
## 代码块里的标题不是新文章
```
重新登录 GlobalProtect。
)";

}  // namespace

TEST_CASE("markdown import: headings are titles, keyword lines and fences handled", "[unit]") {
    Fixture f;
    auto r = f.kb.ImportMarkdown(kTwoArticles);
    REQUIRE(r.ok());
    CHECK(r->inserted == 2);
    const auto list = f.kb.List();
    REQUIRE(list.size() == 2);
    CHECK(list[0].title == "打印机无法打印");
    CHECK(list[0].answer == "检查纸张和墨粉。\n### 小标题也属于答案");
    CHECK(list[0].keywords == std::vector<std::string>{"打印", "printer", "卡纸"});
    CHECK(list[1].title == "VPN 连不上");
    CHECK(list[1].answer.find("## 代码块里的标题不是新文章") != std::string::npos);
    auto got = f.kb.Get(list[1].id);
    REQUIRE(got.has_value());
    CHECK(got->answer == list[1].answer);
    CHECK_FALSE(f.kb.Get(9999).has_value());
}

TEST_CASE("importing twice does not duplicate — a changed answer updates in place", "[unit]") {
    Fixture f;
    f.LoadSample();
    const auto before = f.kb.List();
    auto again = f.kb.ImportFile(std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md");
    REQUIRE(again.ok());
    CHECK(again->inserted == 0);
    CHECK(again->updated == 0);
    CHECK(again->unchanged == static_cast<int>(before.size()));
    CHECK(f.kb.List().size() == before.size());

    const auto id = f.IdOf("电脑蓝屏");
    f.kb.RecordShown({id});
    // Same title modulo case, full-width letters and spacing: still the same article.
    auto r = f.kb.ImportMarkdown("##  电脑蓝屏 \n先拔掉扩展坞，再重启。\n");
    REQUIRE(r.ok());
    CHECK(r->updated == 1);
    CHECK(r->inserted == 0);
    CHECK(f.kb.List().size() == before.size());
    CHECK(f.kb.Get(id)->answer == "先拔掉扩展坞，再重启。");
    // The index follows the new text and forgets the old one.
    auto hits = f.kb.Suggest("扩展坞 重启 蓝屏");
    REQUIRE_FALSE(hits.empty());
    CHECK(hits[0].id == id);
    auto jr = f.kb.ImportJson(R"([{"title": "ＯＵＴＬＯＯＫ   收不到邮件", "answer": "x"}])");
    REQUIRE(jr.ok());
    CHECK(jr->updated == 1);
    CHECK(f.kb.List().size() == before.size());
}

TEST_CASE("json import with and without keywords", "[unit]") {
    Fixture f;
    auto r = f.kb.ImportJson(R"([
        {"title": "打印机卡纸", "answer": "打开前盖取出纸张。", "keywords": ["卡纸", "夹纸"]},
        {"title": "投屏", "answer": "按投屏器按钮。"},
        {"title": "企业微信", "answer": "重新登录。", "keywords": "企微, wecom"}
    ])");
    REQUIRE(r.ok());
    CHECK(r->inserted == 3);
    const auto list = f.kb.List();
    REQUIRE(list.size() == 3);
    CHECK(list[0].keywords == std::vector<std::string>{"卡纸", "夹纸"});
    CHECK(list[1].keywords.empty());
    CHECK(list[2].keywords == std::vector<std::string>{"企微", "wecom"});
    auto s = f.kb.Suggest("投屏");
    REQUIRE(s.size() == 1);
    CHECK(s[0].title == "投屏");
    auto file = f.WriteFile("kb.JSON", R"([{"title": "VPN", "answer": "重连"}])");
    auto fr = f.kb.ImportFile(file);
    REQUIRE(fr.ok());
    CHECK(fr->inserted == 1);
}

TEST_CASE("malformed input is an error and nothing is applied", "[unit]") {
    Fixture f;
    REQUIRE(f.kb.ImportMarkdown("## 已有文章\n旧答案\n").ok());
    const std::vector<std::pair<std::string, std::string>> bad_json = {
        {"not json", "{"},
        {"object instead of array", R"({"title": "a", "answer": "b"})"},
        {"empty array", "[]"},
        {"missing answer", R"([{"title": "新文章", "answer": "ok"}, {"title": "b"}])"},
        {"number title", R"([{"title": 5, "answer": "b"}])"},
        {"bad keywords", R"([{"title": "a", "answer": "b", "keywords": [1]}])"},
        {"empty title", R"([{"title": "  ", "answer": "b"}])"},
        {"duplicate", R"([{"title": "A", "answer": "b"}, {"title": "a", "answer": "c"}])"},
    };
    for (const auto& [what, text] : bad_json) {
        INFO(what);
        auto r = f.kb.ImportJson(text);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == wedesk::Errc::kBadInput);
    }
    // A good article before a bad one is not applied either; the error names the line.
    auto r = f.kb.ImportMarkdown("## 已有文章\n新答案\n\n## 新文章\n答案\n\n## 空文章\n\n");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("line 7") != std::string::npos);
    auto dup = f.kb.ImportMarkdown("## 甲\n一\n## 甲\n二\n");
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().message.find("line 3") != std::string::npos);
    CHECK_FALSE(f.kb.ImportMarkdown("没有任何二级标题").ok());
    CHECK_FALSE(f.kb.ImportMarkdown("## 标题\n\xC0\xAF\n").ok());
    CHECK(f.kb.ImportFile(f.WriteFile("kb.txt", "## a\nb\n")).error().code ==
          wedesk::Errc::kBadFormat);
    CHECK(f.kb.ImportFile(f.dir.File("missing.md")).error().code == wedesk::Errc::kIo);

    const auto list = f.kb.List();
    REQUIRE(list.size() == 1);
    CHECK(list[0].answer == "旧答案");
}

TEST_CASE("punctuation, emoji, FTS syntax, invalid UTF-8 and 5 KB queries answer sanely",
          "[unit]") {
    Fixture f;
    f.LoadSample();
    for (const std::string q :
         {"", "   ", "？？？！！！", "。，、；：“”‘’（）【】", "🙂😭👍🔥", "\"", "\"\"\"",
          "*", "^", "AND OR NOT", "NEAR(a b)", "title:vpn", "-", "'; DROP TABLE kb_articles; --",
          "\xC0\xAF\xFF\xFE", "\xE6\x89"}) {
        INFO("query: " << q);
        const auto got = f.kb.Suggest(q);
        CHECK(got.size() <= 3);
    }
    CHECK(f.kb.Suggest("？？？").empty());
    CHECK(f.kb.Suggest("🙂🙂🙂").empty());
    // Punctuation and emoji around a real question do not hide it.
    auto v = f.kb.Suggest("😭😭VPN，，连不上！！！【急】");
    REQUIRE_FALSE(v.empty());
    CHECK(v[0].title == "VPN 连不上怎么办");
    // FTS operators in the text are plain words, never syntax.
    auto ops = f.kb.Suggest("vpn OR NOT \"打印机\" AND *");
    CHECK(ops.size() <= 3);
    CHECK(f.kb.List().size() >= 30);

    // 5 KB: only the beginning is looked at.
    std::string big = "打印机打不出来";
    while (big.size() < 5 * 1024) {
        big += "🙂，哈哈哈。随便写点什么 lorem ipsum dolor sit amet ";
    }
    auto b = f.kb.Suggest(big);
    REQUIRE_FALSE(b.empty());
    CHECK(b[0].title == "打印机无法打印");
    std::string junk(5 * 1024, '!');
    CHECK(f.kb.Suggest(junk).empty());
    std::string han;
    while (han.size() < 5 * 1024) {
        han += "邮箱打印投屏黑屏卡慢";
    }
    CHECK(f.kb.Suggest(han, 3).size() <= 3);
    CHECK(f.kb.Suggest("打印", 0).empty());
    CHECK(f.kb.Suggest("打印", 1).size() == 1);
}

TEST_CASE("case-insensitive mixed Latin/Chinese and two-character words match", "[unit]") {
    Fixture f;
    f.LoadSample();
    auto check_top = [&](const std::string& q, const std::string& title) {
        INFO("query: " << q);
        const auto got = f.kb.Suggest(q);
        REQUIRE_FALSE(got.empty());
        CHECK(got[0].title == title);
    };
    check_top("vpn连不上", "VPN 连不上怎么办");
    check_top("ＶＰＮ连不上", "VPN 连不上怎么办");
    check_top("VpN", "VPN 连不上怎么办");
    check_top("蓝屏", "电脑蓝屏");
    check_top("发票", "发票打印不全或格式错乱");
    check_top("outlook", "Outlook 收不到邮件");
}

TEST_CASE("synonym groups: built-in expansion and admin-added groups", "[unit]") {
    Fixture f;
    REQUIRE(
        f.kb.ImportMarkdown("## 无线网络连不上\n重启无线网卡。\n\n## 门禁卡失效\n找前台。\n").ok());
    // Built-in: wifi <-> 无线.
    auto w = f.kb.Suggest("wifi");
    REQUIRE_FALSE(w.empty());
    CHECK(w[0].title == "无线网络连不上");
    // 工牌 means nothing until an admin says it is the same as 门禁卡.
    CHECK(f.kb.Suggest("工牌").empty());
    auto id = f.kb.AddSynonyms({"门禁卡", "工牌", " 工卡 "});
    REQUIRE(id.ok());
    auto g = f.kb.Suggest("工牌");
    REQUIRE_FALSE(g.empty());
    CHECK(g[0].title == "门禁卡失效");
    const auto groups = f.kb.ListSynonyms();
    REQUIRE_FALSE(groups.empty());
    CHECK(groups.front().builtin);
    CHECK(groups.back().id == *id);
    CHECK(groups.back().terms == std::vector<std::string>{"门禁卡", "工牌", "工卡"});
    CHECK_FALSE(f.kb.AddSynonyms({"只有一个"}).ok());
    CHECK_FALSE(f.kb.AddSynonyms({"甲", "甲"}).ok());
    REQUIRE(f.kb.DeleteSynonyms(*id).ok());
    CHECK(f.kb.DeleteSynonyms(*id).error().code == wedesk::Errc::kNotFound);
    CHECK(f.kb.Suggest("工牌").empty());
}

TEST_CASE("delete removes an article from list and search", "[unit]") {
    Fixture f;
    f.LoadSample();
    const auto id = f.IdOf("电脑蓝屏");
    REQUIRE(f.kb.Delete(id).ok());
    CHECK_FALSE(f.kb.Get(id).has_value());
    for (const auto& s : f.kb.Suggest("蓝屏")) {
        CHECK(s.id != id);
    }
    CHECK(f.kb.Delete(id).error().code == wedesk::Errc::kNotFound);
}

TEST_CASE("counters and the deflection rate", "[unit]") {
    Fixture f;
    f.LoadSample();
    auto empty = f.kb.Stats();
    CHECK(empty.conversations_with_suggestions == 0);
    CHECK(empty.deflection_rate == 0.0);
    CHECK(empty.most_failing.empty());

    const auto vpn = f.IdOf("VPN 连不上怎么办");
    const auto prn = f.IdOf("打印机无法打印");
    const auto wifi = f.IdOf("连不上公司 Wi-Fi");
    // Four conversations got suggestions; one solved by VPN, one by Wi-Fi, printer failed
    // twice, and one user never answered.
    f.kb.RecordShown({vpn, wifi, vpn});  // duplicates in one list count once
    f.kb.RecordOpened(vpn);
    f.kb.RecordOutcome(vpn, true);
    f.kb.RecordShown({prn});
    f.kb.RecordOpened(prn);
    f.kb.RecordOutcome(prn, false);
    f.kb.RecordShown({prn, wifi});
    f.kb.RecordOpened(prn);
    f.kb.RecordOutcome(prn, false);
    f.kb.RecordOpened(wifi);
    f.kb.RecordOutcome(wifi, true);
    f.kb.RecordShown({vpn});
    f.kb.RecordOutcome(424242, false);  // deleted article: ignored, nothing breaks

    const auto s = f.kb.Stats();
    CHECK(s.conversations_with_suggestions == 4);
    CHECK(s.solved == 2);
    CHECK(s.deflection_rate == Approx(0.5));
    REQUIRE(s.most_failing.size() == 1);
    CHECK(s.most_failing[0].id == prn);
    CHECK(s.most_failing[0].title == "打印机无法打印");
    CHECK(s.most_failing[0].shown == 2);
    CHECK(s.most_failing[0].opened == 2);
    CHECK(s.most_failing[0].solved == 0);
    CHECK(s.most_failing[0].unsolved == 2);

    // Deleting a solved article keeps the history of the rate.
    REQUIRE(f.kb.Delete(vpn).ok());
    CHECK(f.kb.Stats().solved == 2);
}

TEST_CASE("records join the caller's transaction and roll back with it", "[unit]") {
    Fixture f;
    f.LoadSample();
    const auto id = f.IdOf("电脑蓝屏");
    {
        store::WriteTx tx(*f.db);
        f.kb.RecordShown({id});
        f.kb.RecordOpened(id);
        f.kb.RecordOutcome(id, true);
        // Not committed: rolls back with the caller's transaction.
    }
    CHECK(f.kb.Stats().conversations_with_suggestions == 0);
    CHECK(f.kb.Stats().solved == 0);
    {
        store::WriteTx tx(*f.db);
        f.kb.RecordShown({id});
        f.kb.RecordOutcome(id, true);
        REQUIRE(f.kb.ImportMarkdown("## 事务内导入\n答案\n").ok());
        tx.Commit();
    }
    CHECK(f.kb.Stats().conversations_with_suggestions == 1);
    CHECK(f.kb.Stats().solved == 1);
    CHECK(f.kb.Get(f.IdOf("事务内导入")).has_value());
    {
        // A failed import inside the caller's transaction leaves the transaction usable.
        store::WriteTx tx(*f.db);
        CHECK_FALSE(f.kb.ImportJson("[").ok());
        f.kb.RecordOpened(id);
        tx.Commit();
    }
}

TEST_CASE("after imports and deletes each full-text index is one segment", "[unit]") {
    Fixture f;
    auto segments = [&](const char* table) {
        return f.db->Conn()
            .execAndGet(std::string("SELECT count(DISTINCT segid) FROM ") + table + "_idx")
            .getInt();
    };
    f.LoadSample();
    REQUIRE(f.kb.ImportMarkdown(kTwoArticles).ok());
    REQUIRE(f.kb.Delete(f.IdOf("VPN 连不上")).ok());
    CHECK(segments("kb_fts_bigram") == 1);
    CHECK(segments("kb_fts_trigram") == 1);
    // Still found after the merge.
    CHECK_FALSE(f.kb.Suggest("打印机无法打印", 3).empty());
}
