#include <catch2/catch.hpp>

#include "tickets_env.hpp"

using namespace wedesk;
using namespace wedesk::tickets;
using tickets::testing::Env;

TEST_CASE("stats: counts, SLA met/breached, mean times, CSAT and load", "[unit]") {
    Env env;
    env.cfg.accept_timeout_min = 0;
    // P1 runs on the calendar clock: response 30, resolve 240 minutes.
    Ticket t1 = env.Create("emp1", "P1");
    Ticket t2 = env.Create("emp2", "P1");
    REQUIRE(t1.assignee != t2.assignee);
    env.Advance(std::chrono::minutes(10));
    REQUIRE(env.svc->Accept(t1.no, t1.assignee).ok());  // response met
    env.Advance(std::chrono::minutes(30));
    REQUIRE(env.svc->Accept(t2.no, t2.assignee).ok());  // response breached (40 > 30)
    env.Advance(std::chrono::minutes(20));
    REQUIRE(env.svc->Resolve(t1.no, t1.assignee, "").ok());  // 60 min: met
    REQUIRE(env.svc->Rate(t1.no, "emp1", 5).ok());
    env.Advance(std::chrono::minutes(240));
    REQUIRE(env.svc->Resolve(t2.no, t2.assignee, "").ok());  // 300 min: breached
    REQUIRE(env.svc->Rate(t2.no, "emp2", 3).ok());
    Ticket t3 = env.Create("emp1", "P3");
    REQUIRE(env.svc->Cancel(t3.no, "emp1").ok());
    Ticket t4 = env.Create("emp1", "P2");  // open, not yet accepted

    auto s = env.svc->Stats();
    REQUIRE(s.ok());
    CHECK(s->by_status.at("closed") == 2);
    CHECK(s->by_status.at("cancelled") == 1);
    CHECK(s->by_status.at("assigned") == 1);
    CHECK(s->by_status.at("new") == 0);
    CHECK(s->by_status.size() == 7);
    const auto& p1 = s->sla.at("P1");
    CHECK(p1.response_met == 1);
    CHECK(p1.response_breached == 1);
    CHECK(p1.resolve_met == 1);
    CHECK(p1.resolve_breached == 1);
    CHECK(s->sla.at("P2").response_breached == 0);
    CHECK(s->sla.at("P3").response_met + s->sla.at("P3").response_breached == 0);
    CHECK(s->accepted_count == 2);
    CHECK(s->mean_accept_min == Approx(25.0));
    CHECK(s->resolved_count == 2);
    CHECK(s->mean_resolve_min == Approx(180.0));
    CHECK(s->csat_count == 2);
    CHECK(s->csat_avg == Approx(4.0));
    int total_open = 0;
    for (const auto& l : s->load) {
        total_open += l.open;
        if (l.userid == t4.assignee) {
            CHECK(l.open == 1);
        }
    }
    CHECK(total_open == 1);

    auto j = ToJson(*s);
    CHECK(j["by_status"]["closed"] == 2);
    CHECK(j["sla"]["P1"]["resolve_breached"] == 1);
    CHECK(j["csat_avg"] == 4.0);
    CHECK_THAT(FormatStats(*s), Catch::Contains("CSAT: 4.00 (2 ratings)"));

    // The open P2 ticket (business clock, 60 min response) breaches once its due time passes.
    env.clock.Set(t4.response_due + 1);
    s = env.svc->Stats();
    CHECK(s->sla.at("P2").response_breached == 1);
}

TEST_CASE("admin list and show", "[unit]") {
    Env env;
    Ticket a = env.CreateAccepted();
    Ticket b = env.Create();
    auto all = env.svc->AdminList();
    REQUIRE(all.ok());
    CHECK(all->size() == 2);
    auto in_progress = env.svc->AdminList(Status::kInProgress);
    REQUIRE(in_progress->size() == 1);
    CHECK(in_progress->front().no == a.no);
    auto show = env.svc->AdminGet(b.no);
    REQUIRE(show.ok());
    auto j = ToJson(*show);
    CHECK(j["no"] == b.no);
    CHECK(j["status"] == "assigned");
    CHECK(j["events"].size() == 2);
    CHECK(env.svc->AdminGet("IT00000000-0000").error().code == wedesk::Errc::kNotFound);
}
