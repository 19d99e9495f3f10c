#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "tickets_env.hpp"

using namespace wedesk;
using namespace wedesk::tickets;
using tickets::testing::Env;

TEST_CASE("ticket numbers stay unique and consecutive under concurrent creates", "[unit]") {
    Env env;
    constexpr int kThreads = 8;
    constexpr int kPerThread = 25;
    std::vector<std::vector<std::string>> numbers(kThreads);
    std::vector<int> failures(kThreads, 0);
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i) {
            threads.emplace_back([&, i] {
                for (int k = 0; k < kPerThread; ++k) {
                    auto r = env.svc->Create(i % 2 == 0 ? "emp1" : "emp2", "printer",
                                             "并发测试 " + std::to_string(k), "P3");
                    if (r.ok()) {
                        numbers[static_cast<std::size_t>(i)].push_back(r->no);
                    } else {
                        failures[static_cast<std::size_t>(i)]++;
                    }
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    for (int f : failures) {
        CHECK(f == 0);
    }
    std::set<std::string> all;
    for (const auto& v : numbers) {
        all.insert(v.begin(), v.end());
    }
    REQUIRE(all.size() == kThreads * kPerThread);
    int expected = 1;
    for (const auto& no : all) {  // sorted: IT20261123-0001 .. -0200
        char want[32];
        std::snprintf(want, sizeof want, "IT20261123-%04d", expected++);
        CHECK(no == want);
    }
    CHECK(env.Int("SELECT last FROM ticket_seq WHERE day = '20261123'") == 200);
    CHECK(env.Int("SELECT COUNT(*) FROM tickets") == 200);
    CHECK(env.Int("SELECT COUNT(*) FROM ticket_events WHERE kind = 'created'") == 200);
    CHECK(env.notifier.To("", "card").size() == 200);
}
