#include <catch2/catch.hpp>

#include "tickets_env.hpp"

using namespace wedesk;
using namespace wedesk::tickets;
using tickets::testing::Env;
using tickets::testing::Local;

namespace {

int CountContaining(const std::vector<tickets::testing::Sent>& v, const std::string& needle) {
    int n = 0;
    for (const auto& s : v) {
        n += s.body.find(needle) != std::string::npos ? 1 : 0;
    }
    return n;
}

}  // namespace

TEST_CASE("SLA: warning at 80 % and breach escalation, each exactly once", "[unit]") {
    Env env;
    env.cfg.accept_timeout_min = 0;       // keep re-dispatch out of this test
    Ticket t = env.Create("emp1", "P1");  // calendar clock: response 30 min, resolve 240 min
    const std::int64_t t0 = t.created_at;
    CHECK(t.response_due == t0 + 30 * 60);
    CHECK(t.resolve_due == t0 + 240 * 60);

    env.Advance(std::chrono::minutes(23));
    auto r = env.svc->Tick();
    REQUIRE(r.ok());
    CHECK(r->response_warnings == 0);

    env.Advance(std::chrono::minutes(1));  // 24 min = 80 % of 30
    r = env.svc->Tick();
    CHECK(r->response_warnings == 1);
    CHECK(r->response_breaches == 0);
    CHECK(CountContaining(env.notifier.To(t.assignee, "text"), "响应时限将到") == 1);
    r = env.svc->Tick();
    CHECK(r->response_warnings == 0);

    env.Advance(std::chrono::minutes(6));  // 30 min
    r = env.svc->Tick();
    CHECK(r->response_breaches == 1);
    CHECK(CountContaining(env.notifier.To("lead_d", "text"), "超出响应时限") == 1);
    env.Advance(std::chrono::minutes(1));
    r = env.svc->Tick();
    CHECK(r->response_breaches == 0);
    CHECK(CountContaining(env.notifier.To("lead_d", "text"), "超出响应时限") == 1);

    REQUIRE(env.svc->Accept(t.no, t.assignee).ok());
    env.clock.Set(t0 + 192 * 60 - 1);
    CHECK(env.svc->Tick()->resolve_warnings == 0);
    env.clock.Set(t0 + 192 * 60);
    CHECK(env.svc->Tick()->resolve_warnings == 1);
    CHECK(env.svc->Tick()->resolve_warnings == 0);
    env.clock.Set(t0 + 240 * 60);
    CHECK(env.svc->Tick()->resolve_breaches == 1);
    CHECK(env.svc->Tick()->resolve_breaches == 0);
    CHECK(CountContaining(env.notifier.To("lead_d", "text"), "超出解决时限") == 1);
    CHECK(CountContaining(env.notifier.To(t.assignee, "text"), "解决时限将到") == 1);
    CHECK(env.Int("SELECT COUNT(*) FROM ticket_events WHERE kind = 'sla_warning'") == 2);
    CHECK(env.Int("SELECT COUNT(*) FROM ticket_events WHERE kind = 'sla_breach'") == 2);
}

TEST_CASE("SLA: business clock runs over the weekend without firing", "[unit]") {
    Env env;
    env.cfg.accept_timeout_min = 0;
    env.clock.Set(Local(2026, 11, 27, 17, 0));  // Friday 17:00
    Ticket t = env.Create("emp1", "P3");        // response 120 business minutes
    CHECK(t.response_due == Local(2026, 11, 30, 10, 0));
    env.clock.Set(Local(2026, 11, 29, 23, 0));  // Sunday night
    CHECK(env.svc->Tick()->response_warnings == 0);
    env.clock.Set(Local(2026, 11, 30, 9, 36));  // 96 business minutes
    CHECK(env.svc->Tick()->response_warnings == 1);
}

TEST_CASE("SLA: waiting pauses the resolution clock — the reply resumes it", "[unit]") {
    Env env;
    env.cfg.accept_timeout_min = 0;
    env.clock.Set(Local(2026, 11, 23, 9, 0));     // Monday
    Ticket t = env.CreateAccepted("emp1", "P2");  // resolve 480 business minutes
    CHECK(t.resolve_due == Local(2026, 11, 23, 17, 0));

    env.clock.Set(Local(2026, 11, 23, 10, 0));
    REQUIRE(env.svc->Wait(t.no, t.assignee, "请提供资产编号").ok());
    env.clock.Set(Local(2026, 11, 23, 17, 30));
    auto r = env.svc->Tick();
    CHECK(r->resolve_breaches == 0);
    CHECK(r->resolve_warnings == 0);

    env.clock.Set(Local(2026, 11, 24, 10, 0));
    auto back = env.svc->EmployeeReplied("emp1", t.no, "A-1234");
    REQUIRE(back.ok());
    // 60 min used Monday; 420 remain from Tuesday 10:00.
    CHECK(back->resolve_due == Local(2026, 11, 24, 17, 0));
    env.clock.Set(Local(2026, 11, 24, 15, 23));
    CHECK(env.svc->Tick()->resolve_warnings == 0);
    env.clock.Set(Local(2026, 11, 24, 15, 24));  // 384 = 80 % of 480
    CHECK(env.svc->Tick()->resolve_warnings == 1);
    env.clock.Set(Local(2026, 11, 24, 16, 59));
    CHECK(env.svc->Tick()->resolve_breaches == 0);
    env.clock.Set(Local(2026, 11, 24, 17, 0));
    CHECK(env.svc->Tick()->resolve_breaches == 1);
}

TEST_CASE("SLA: time between resolution and reopening does not count", "[unit]") {
    Env env;
    env.cfg.accept_timeout_min = 0;
    env.clock.Set(Local(2026, 11, 23, 9, 0));
    Ticket t = env.CreateAccepted("emp1", "P2");
    env.clock.Set(Local(2026, 11, 23, 11, 0));
    REQUIRE(env.svc->Resolve(t.no, t.assignee, "").ok());
    env.clock.Set(Local(2026, 11, 24, 9, 0));
    auto r = env.svc->Reopen(t.no, "emp1");
    REQUIRE(r.ok());
    // 120 used; 360 remain from Tuesday 09:00.
    CHECK(r->resolve_due == Local(2026, 11, 24, 15, 0));
}

TEST_CASE("resolved tickets close after auto_close_days without a rating", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted();
    REQUIRE(env.svc->Resolve(t.no, t.assignee, "好了").ok());
    env.notifier.Clear();
    env.Advance(std::chrono::hours(24 * 7) - std::chrono::seconds(1));
    CHECK(env.svc->Tick()->auto_closed == 0);
    env.Advance(std::chrono::seconds(1));
    auto r = env.svc->Tick();
    REQUIRE(r.ok());
    CHECK(r->auto_closed == 1);
    CHECK(env.svc->Tick()->auto_closed == 0);
    auto d = env.svc->Get(t.no, "emp1");
    REQUIRE(d.ok());
    CHECK(d->ticket.status == Status::kClosed);
    CHECK_FALSE(d->ticket.rating.has_value());
    CHECK(d->events.back().kind == "closed");
    CHECK(d->events.back().actor == "system");
    CHECK(env.notifier.To("emp1", "text").size() == 1);
    CHECK(env.svc->Reopen(t.no, "emp1").error().code == wedesk::Errc::kExpired);
    // A late rating is still welcome.
    CHECK(env.svc->Rate(t.no, "emp1", 4)->status == Status::kClosed);
}
