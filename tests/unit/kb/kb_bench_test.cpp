// Timing of KnowledgeBase::Suggest on the sample knowledge base (hidden: run it explicitly with
// `unit_kb "[.bench]"`). It prints figures and asserts nothing about time. The printed digest
// covers every answer (ids and exact scores), so two builds can be compared for identical
// results.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
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

std::vector<std::string> BenchQueries() {
    std::ifstream in(std::string(WEDESK_TEST_DATA_DIR) + "/kb_queries.json");
    std::stringstream buf;
    buf << in.rdbuf();
    const auto doc = nlohmann::json::parse(buf.str());
    std::vector<std::string> out;
    for (const auto& item : doc.at("queries")) {
        out.push_back(item.at("q").get<std::string>());
    }
    for (const auto& item : doc.at("nonsense")) {
        out.push_back(item.get<std::string>());
    }
    return out;
}

// CPU time of the calling thread: steadier than wall time on a shared machine.
double ThreadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// FNV-1a over the text.
std::uint64_t Mix(std::uint64_t h, const std::string& s) {
    for (const unsigned char c : s) {
        h = (h ^ c) * 1099511628211ull;
    }
    return h;
}

}  // namespace

TEST_CASE("time 2,000 suggestions on the sample knowledge base", "[.bench]") {
    testing::TempDir dir;
    auto db = store::Database::Open(dir.File("kb.db"), wedesk::schema::All());
    kb::KnowledgeBase kb(*db);
    REQUIRE(kb.ImportFile(std::string(WEDESK_TEST_DATA_DIR) + "/kb_sample.md").ok());
    const auto queries = BenchQueries();
    REQUIRE(!queries.empty());

    std::uint64_t digest = 1469598103934665603ull;
    for (const auto& q : queries) {
        for (const auto& s : kb.Suggest(q, 3)) {
            char score[64];
            std::snprintf(score, sizeof score, "%.17g", s.score);
            digest = Mix(digest, q + "|" + std::to_string(s.id) + "|" + score + "\n");
        }
    }

    constexpr int kCalls = 2000;
    std::size_t answers = 0;
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuSeconds();
    for (int i = 0; i < kCalls; ++i) {
        answers += kb.Suggest(queries[static_cast<std::size_t>(i) % queries.size()], 3).size();
    }
    const double cpu = ThreadCpuSeconds() - cpu_start;
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    std::cout << "kb bench: " << kCalls << " Suggest calls: CPU " << cpu * 1e6 / kCalls
              << " us/call, wall " << took.count() * 1e6 / kCalls << " us/call (" << answers
              << " suggestions), result digest " << std::hex << digest << std::dec << "\n";
    CHECK(answers > 0);
}
