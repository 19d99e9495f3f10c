#include <catch2/catch.hpp>

#include "tickets_env.hpp"

using namespace wedesk;
using namespace wedesk::tickets;
using tickets::testing::Env;

TEST_CASE("dispatch picks the least loaded on-duty engineer, ties by least recent", "[unit]") {
    Env env;
    Ticket t1 = env.Create();
    CHECK(t1.assignee == "eng_a");  // equal load, never assigned: by userid
    env.Advance(std::chrono::minutes(1));
    Ticket t2 = env.Create();
    CHECK(t2.assignee == "eng_b");  // eng_a has one open ticket
    env.Advance(std::chrono::minutes(1));
    Ticket t3 = env.Create();
    CHECK(t3.assignee == "eng_a");  // one each; eng_a was assigned longer ago
    env.Advance(std::chrono::minutes(1));

    // Accepted tickets still count as load; resolved ones do not.
    REQUIRE(env.svc->Accept(t1.no, "eng_a").ok());
    REQUIRE(env.svc->Resolve(t1.no, "eng_a", "").ok());
    Ticket t4 = env.Create();
    CHECK(t4.assignee == "eng_b");  // one each again; eng_b assigned longer ago (t2 < t3)

    // Off-duty engineers are skipped even when idle.
    REQUIRE(env.svc->SetDuty("eng_a", false).ok());
    env.Advance(std::chrono::minutes(1));
    CHECK(env.Create().assignee == "eng_b");
    CHECK(env.Int("SELECT last_assigned_at FROM users WHERE userid = 'eng_b'") ==
          env.clock.NowSeconds());
}

TEST_CASE("dispatch tie-break uses the time of the last assignment", "[unit]") {
    Env env;
    env.Exec("UPDATE users SET last_assigned_at = 500 WHERE userid = 'eng_a'");
    env.Exec("UPDATE users SET last_assigned_at = 100 WHERE userid = 'eng_b'");
    CHECK(env.Create().assignee == "eng_b");
}

TEST_CASE("nobody on duty: the ticket waits, a P1 alerts the leads, the first on duty gets it",
          "[unit]") {
    Env env;
    REQUIRE(env.svc->SetDuty("eng_a", false).ok());
    REQUIRE(env.svc->SetDuty("eng_b", false).ok());
    Ticket waiting = env.Create();
    CHECK(waiting.status == Status::kNew);
    CHECK(waiting.assignee.empty());
    // Never handed to an off-duty lead; a P3 does not wake him either.
    CHECK(env.notifier.To("lead_d", "card").empty());
    CHECK(env.notifier.To("lead_d", "text").empty());
    Ticket urgent = env.Create("emp1", "P1");
    CHECK(urgent.assignee.empty());
    const auto alert = env.notifier.To("lead_d", "text");
    REQUIRE(alert.size() == 1);
    CHECK_THAT(alert[0].body, Catch::Contains("无人在班"));
    CHECK_THAT(alert[0].body, Catch::Contains(urgent.no));
    CHECK(env.notifier.To("lead_d", "card").empty());

    // A category no group handles goes to an admin.
    auto account = env.svc->Create("emp1", "account", "账号被锁", "P2");
    REQUIRE(account.ok());
    CHECK(account->group.empty());
    CHECK(account->assignee == "admin1");

    // Tick keeps them waiting until someone comes on duty.
    auto r = env.svc->Tick();
    REQUIRE(r.ok());
    CHECK(r->dispatched == 0);
    REQUIRE(env.svc->SetDuty("eng_b", true).ok());
    r = env.svc->Tick();
    REQUIRE(r.ok());
    CHECK(r->dispatched == 2);
    auto d = env.svc->Get(waiting.no, "emp1");
    REQUIRE(d.ok());
    CHECK(d->ticket.assignee == "eng_b");
    CHECK(d->ticket.status == Status::kAssigned);
    CHECK(env.notifier.To("eng_b", "card").size() == 2);
}

TEST_CASE("accept timeouts never bounce a ticket back, never go off duty, one digest per lead",
          "[unit]") {
    Env env;  // desktop: eng_a, eng_b on duty; lead_d off duty
    Ticket t1 = env.Create();
    Ticket t2 = env.Create();
    env.notifier.Clear();
    const std::string first1 = t1.assignee;
    env.Advance(std::chrono::minutes(env.cfg.accept_timeout_min + 1));
    auto r = env.svc->Tick();
    REQUIRE(r.ok());
    CHECK(r->redispatched == 2);
    const std::string second1 = env.svc->AdminGet(t1.no)->ticket.assignee;
    CHECK(second1 != first1);
    // One digest for the lead, listing both, not a card each.
    auto lead = env.notifier.To("lead_d", "text");
    REQUIRE(lead.size() == 1);
    CHECK_THAT(lead[0].body, Catch::Contains(t1.no));
    CHECK_THAT(lead[0].body, Catch::Contains(t2.no));
    CHECK(env.notifier.To("lead_d", "card").empty());

    // The second engineer lets it lapse too: it does not go back to the first, nor to the
    // off-duty lead; it stays, and the timer restarts.
    env.notifier.Clear();
    env.Advance(std::chrono::minutes(env.cfg.accept_timeout_min + 1));
    r = env.svc->Tick();
    REQUIRE(r.ok());
    CHECK(r->redispatched == 0);
    CHECK(env.svc->AdminGet(t1.no)->ticket.assignee == second1);
    CHECK(env.notifier.To("lead_d", "card").empty());
    CHECK(env.notifier.To("lead_d", "text").size() == 1);
    CHECK(env.notifier.To(first1, "card").empty());
}

TEST_CASE("a lead's queues: 团队工单, 待分派, 超时工单", "[unit]") {
    Env env;
    Ticket open = env.Create();
    REQUIRE(env.svc->SetDuty("eng_a", false).ok());
    REQUIRE(env.svc->SetDuty("eng_b", false).ok());
    Ticket unassigned = env.Create();
    using Q = TicketService::Queue;
    auto team = env.svc->TeamQueue("lead_d", Q::kOpen);
    REQUIRE(team.ok());
    CHECK(team->size() == 2);
    auto waiting = env.svc->TeamQueue("lead_d", Q::kUnassigned);
    REQUIRE(waiting->size() == 1);
    CHECK(waiting->front().no == unassigned.no);
    CHECK(env.svc->TeamQueue("lead_d", Q::kOverdue)->empty());
    env.Advance(std::chrono::minutes(env.cfg.accept_timeout_min + 1));
    auto overdue = env.svc->TeamQueue("lead_d", Q::kOverdue);
    REQUIRE(overdue->size() == 1);
    CHECK(overdue->front().no == open.no);
    // Another group's lead sees none of it; an engineer may not look.
    CHECK(env.svc->TeamQueue("lead_n", Q::kOpen)->empty());
    CHECK(env.svc->TeamQueue("eng_a", Q::kOpen).error().code == wedesk::Errc::kForbidden);
    CHECK(env.svc->TeamQueue("admin1", Q::kOpen)->size() == 2);
}

TEST_CASE("a lead taking over tells the engineer and retires his card", "[unit]") {
    Env env;
    Ticket t = env.Create();
    const std::string eng = t.assignee;
    env.notifier.Clear();
    REQUIRE(env.svc->Accept(t.no, "lead_d").ok());
    CHECK_THAT(env.notifier.To(eng, "text").back().body, Catch::Contains("已接手工单"));
    const auto retired = env.notifier.To("t-" + t.no + "-1", "retire");
    REQUIRE(retired.size() == 1);
    CHECK(retired[0].body == "已被接单");
}

TEST_CASE("the group lead may take an unaccepted ticket — group engineers may take new ones",
          "[unit]") {
    Env env;
    Ticket t = env.Create();
    auto r = env.svc->Accept(t.no, "lead_d");
    REQUIRE(r.ok());
    CHECK(r->assignee == "lead_d");

    env.Exec("UPDATE users SET on_duty = 0");
    env.Exec("UPDATE users SET role = 'employee' WHERE userid IN ('lead_d', 'admin1')");
    Ticket n = env.Create();
    REQUIRE(n.status == Status::kNew);
    CHECK(env.svc->Accept(n.no, "eng_n").error().code == wedesk::Errc::kNotFound);  // other group
    auto own = env.svc->Accept(n.no, "eng_b");
    REQUIRE(own.ok());
    CHECK(own->assignee == "eng_b");
    CHECK(own->status == Status::kInProgress);
}

TEST_CASE("accept timeout re-dispatches to the next engineer and tells the lead", "[unit]") {
    Env env;
    Ticket t = env.Create();
    REQUIRE(t.assignee == "eng_a");
    env.notifier.Clear();

    env.Advance(std::chrono::minutes(14));
    auto r = env.svc->Tick();
    REQUIRE(r.ok());
    CHECK(r->redispatched == 0);

    env.Advance(std::chrono::minutes(1));
    r = env.svc->Tick();
    REQUIRE(r.ok());
    CHECK(r->redispatched == 1);
    auto d = env.svc->AdminGet(t.no);
    REQUIRE(d.ok());
    CHECK(d->ticket.assignee == "eng_b");
    CHECK(d->ticket.status == Status::kAssigned);
    CHECK(d->events.back().kind == "redispatched");
    auto cards = env.notifier.To("eng_b", "card");
    REQUIRE(cards.size() == 1);
    CHECK(cards[0].card.id == "t-" + t.no + "-2");
    // eng_a's card is greyed out rather than left offering 接单.
    auto retired = env.notifier.To("t-" + t.no + "-1", "retire");
    REQUIRE(retired.size() == 1);
    CHECK(retired[0].body == "已转派");
    auto lead = env.notifier.To("lead_d", "text");
    REQUIRE(lead.size() == 1);
    CHECK_THAT(lead[0].body, Catch::Contains(t.no) && Catch::Contains("未接单"));
    CHECK(env.notifier.To("eng_a", "text").size() == 1);

    // Nothing more until the new timeout runs out.
    r = env.svc->Tick();
    CHECK(r->redispatched == 0);
    CHECK(env.notifier.To("lead_d", "text").size() == 1);

    // The old card no longer works for eng_a.
    auto stale = env.svc->Accept(t.no, "eng_a");
    REQUIRE_FALSE(stale.ok());
    CHECK(stale.error().code == wedesk::Errc::kForbidden);
    CHECK(env.svc->Accept(t.no, "eng_b").ok());
}

TEST_CASE("accept timeout with nobody else keeps the ticket and reminds once per timeout",
          "[unit]") {
    Env env;
    REQUIRE(env.svc->SetDuty("eng_b", false).ok());
    Ticket t = env.Create();
    REQUIRE(t.assignee == "eng_a");
    // No lead and no admin to fall back on.
    env.Exec("UPDATE users SET role = 'engineer' WHERE userid = 'lead_d'");
    env.Exec("UPDATE users SET role = 'employee' WHERE userid = 'admin1'");
    env.notifier.Clear();

    env.Advance(std::chrono::minutes(15));
    auto r = env.svc->Tick();
    REQUIRE(r.ok());
    CHECK(r->redispatched == 0);
    auto d = env.svc->AdminGet(t.no);
    REQUIRE(d.ok());
    CHECK(d->ticket.assignee == "eng_a");
    CHECK(d->ticket.assigned_at == env.clock.NowSeconds());
    CHECK(d->events.back().kind == "redispatched");
    CHECK(env.notifier.To("eng_a", "text").size() == 1);
    REQUIRE(env.svc->Tick().ok());
    CHECK(env.notifier.To("eng_a", "text").size() == 1);
    env.Advance(std::chrono::minutes(15));
    REQUIRE(env.svc->Tick().ok());
    CHECK(env.notifier.To("eng_a", "text").size() == 2);
}
