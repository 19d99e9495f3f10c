#include <catch2/catch.hpp>

#include "tickets_env.hpp"

using namespace wedesk;
using namespace wedesk::tickets;
using tickets::testing::Env;
using tickets::testing::Local;

namespace {

std::vector<std::string> Kinds(const TicketDetail& d) {
    std::vector<std::string> out;
    for (const auto& e : d.events) {
        out.push_back(e.kind);
    }
    return out;
}

}  // namespace

TEST_CASE("create numbers the ticket, dispatches it and sends the engineer a card", "[unit]") {
    Env env;
    auto r = env.svc->Create("emp1", "printer", "  打印机卡纸  ", "P2", {{"media-1"}, {"media-2"}});
    REQUIRE(r.ok());
    CHECK(r->no == "IT20261123-0001");
    CHECK(r->status == Status::kAssigned);
    CHECK(r->requester == "emp1");
    CHECK(r->group == "desktop");
    CHECK(r->category_name == "打印机");
    CHECK(r->description == "打印机卡纸");
    CHECK(r->attachments.size() == 2);
    CHECK((r->assignee == "eng_a" || r->assignee == "eng_b"));

    auto cards = env.notifier.To(r->assignee, "card");
    REQUIRE(cards.size() == 1);
    const Card& card = cards[0].card;
    CHECK(card.id == "t-IT20261123-0001-1");
    REQUIRE(card.buttons.size() == 2);
    CHECK(card.buttons[0].key == "ticket_accept:IT20261123-0001");
    CHECK(card.buttons[0].text == "接单");
    CHECK(card.buttons[0].primary);
    CHECK(card.buttons[1].key == "ticket_transfer:IT20261123-0001");
    CHECK(card.buttons[1].text == "转派");

    auto second = env.svc->Create("emp2", "printer", "又卡纸", "P3");
    REQUIRE(second.ok());
    CHECK(second->no == "IT20261123-0002");

    // A new local day starts a new sequence (midnight at +08:00).
    env.clock.Set(Local(2026, 11, 24, 0, 0));
    auto third = env.svc->Create("emp2", "printer", "还是卡纸", "P3");
    REQUIRE(third.ok());
    CHECK(third->no == "IT20261124-0001");
}

TEST_CASE("create refuses bad input", "[unit]") {
    Env env;
    CHECK(env.svc->Create("emp1", "coffee", "咖啡机坏了", "P3").error().code ==
          wedesk::Errc::kInvalid);
    CHECK(env.svc->Create("emp1", "printer", "   ", "P3").error().code == wedesk::Errc::kInvalid);
    CHECK(env.svc->Create("emp1", "printer", "卡纸", "P4").error().code == wedesk::Errc::kInvalid);
    CHECK(env.svc->Create("", "printer", "卡纸", "P3").error().code == wedesk::Errc::kInvalid);
    CHECK(env.svc->Create("emp1", "printer", "\xC0\xAF", "P3").error().code ==
          wedesk::Errc::kInvalid);
    CHECK(env.Int("SELECT COUNT(*) FROM tickets") == 0);
    CHECK(env.notifier.All().empty());
}

TEST_CASE("the full lifecycle writes one timeline event per change", "[unit]") {
    Env env;
    Ticket t = env.Create("emp1", "P2");
    const std::string eng = t.assignee;

    auto acc = env.svc->Accept(t.no, eng);
    REQUIRE(acc.ok());
    CHECK(acc->status == Status::kInProgress);
    CHECK(acc->accepted_at == env.clock.NowSeconds());
    auto to_emp = env.notifier.To("emp1", "text");
    REQUIRE(to_emp.size() == 1);
    CHECK_THAT(to_emp.back().body, Catch::Contains("已由") && Catch::Contains("受理"));

    REQUIRE(env.svc->Note(t.no, eng, "已联系行政").ok());

    auto wait = env.svc->Wait(t.no, eng, "请提供打印机编号");
    REQUIRE(wait.ok());
    CHECK(wait->status == Status::kWaiting);
    CHECK(wait->paused);
    CHECK_THAT(env.notifier.To("emp1").back().body, Catch::Contains("请提供打印机编号"));

    env.Advance(std::chrono::minutes(20));
    auto waiting = env.svc->FindWaiting("emp1");
    REQUIRE(waiting.ok());
    REQUIRE(waiting->has_value());
    CHECK((*waiting)->no == t.no);

    auto reply = env.svc->EmployeeReplied("emp1", "", "编号 HP-301");
    REQUIRE(reply.ok());
    CHECK(reply->status == Status::kInProgress);
    CHECK_FALSE(reply->paused);
    CHECK_THAT(env.notifier.To(eng, "text").back().body, Catch::Contains("HP-301"));
    CHECK_FALSE(env.svc->FindWaiting("emp1")->has_value());

    auto res = env.svc->Resolve(t.no, eng, "已更换硒鼓");
    REQUIRE(res.ok());
    CHECK(res->status == Status::kResolved);
    CHECK(res->resolution == "已更换硒鼓");
    // The requester gets a card to rate it or say it is not solved.
    const auto card = env.notifier.To("emp1", "card").back().card;
    CHECK_THAT(card.text, Catch::Contains("已更换硒鼓"));
    CHECK_THAT(card.text, Catch::Contains("直接回复 1-5"));
    REQUIRE(card.buttons.size() == 6);
    CHECK(card.buttons.front().key == "ticket_rate:" + t.no + ":5");
    CHECK(card.buttons.back().key == "ticket_reopen:" + t.no);

    auto rated = env.svc->Rate(t.no, "emp1", 5, "很快");
    REQUIRE(rated.ok());
    CHECK(rated->status == Status::kClosed);
    CHECK(rated->rating == 5);
    CHECK(rated->rating_comment == "很快");

    auto detail = env.svc->Get(t.no, eng);
    REQUIRE(detail.ok());
    CHECK(Kinds(*detail) == std::vector<std::string>{"created", "assigned", "accepted", "note",
                                                     "waiting", "replied", "resolved", "rated",
                                                     "closed"});
    CHECK(detail->events[2].actor == eng);
    CHECK(detail->events[0].actor == "emp1");
    CHECK(detail->events[0].actor_name == "张三");

    // The requester does not see internal notes.
    auto mine = env.svc->Get(t.no, "emp1");
    REQUIRE(mine.ok());
    CHECK(Kinds(*mine).size() == 8);
    CHECK_THAT(FormatDetail(*mine, 8 * 3600), Catch::Contains("已关闭"));
}

TEST_CASE("the timeline is append-only", "[unit]") {
    Env env;
    env.Create();
    CHECK_THROWS(env.Exec("UPDATE ticket_events SET detail = 'x'"));
    CHECK_THROWS(env.Exec("DELETE FROM ticket_events"));
}

TEST_CASE("accept locks the ticket — a second accept is refused politely", "[unit]") {
    Env env;
    Ticket t = env.Create();
    const std::string first = t.assignee;
    const std::string other = first == "eng_a" ? "eng_b" : "eng_a";

    // While assigned to someone else, another engineer of the group cannot grab it.
    auto grab = env.svc->Accept(t.no, other);
    REQUIRE_FALSE(grab.ok());
    CHECK(grab.error().code == wedesk::Errc::kForbidden);

    REQUIRE(env.svc->Accept(t.no, first).ok());
    auto again = env.svc->Accept(t.no, first);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == wedesk::Errc::kAlreadyAccepted);
    CHECK_THAT(again.error().message, Catch::Contains("您已接过"));

    auto late = env.svc->Accept(t.no, "lead_d");
    REQUIRE_FALSE(late.ok());
    CHECK(late.error().code == wedesk::Errc::kAlreadyAccepted);
    CHECK_THAT(late.error().message, Catch::Contains("无需重复接单"));

    // Only the holder may act on it.
    CHECK(env.svc->Wait(t.no, other, "x").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Resolve(t.no, other, "x").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Wait(t.no, "lead_d", "x").error().code == wedesk::Errc::kForbidden);
    CHECK(env.svc->Get(t.no, first)->ticket.assignee == first);
}

TEST_CASE("refused transitions leave no trace", "[unit]") {
    Env env;
    Ticket t = env.Create();
    const std::string eng = t.assignee;
    const auto events_before = env.Int("SELECT COUNT(*) FROM ticket_events");
    const auto sent_before = env.notifier.All().size();

    CHECK(env.svc->Wait(t.no, eng, "x").error().code == wedesk::Errc::kBadState);  // not accepted
    CHECK(env.svc->Resolve(t.no, eng, "x").error().code ==
          wedesk::Errc::kBadState);                                                 // not accepted
    CHECK(env.svc->Rate(t.no, "emp1", 5).error().code == wedesk::Errc::kBadState);  // not resolved
    CHECK(env.svc->Reopen(t.no, "emp1").error().code == wedesk::Errc::kBadState);   // not resolved
    CHECK(env.svc->EmployeeReplied("emp1", t.no, "hi").error().code == wedesk::Errc::kBadState);
    CHECK(env.svc->EmployeeReplied("emp1", "", "hi").error().code == wedesk::Errc::kNotFound);
    REQUIRE(env.svc->Accept(t.no, eng).ok());
    CHECK(env.svc->Wait(t.no, eng, "  ").error().code == wedesk::Errc::kInvalid);
    CHECK(env.svc->Note(t.no, eng, "").error().code == wedesk::Errc::kInvalid);
    REQUIRE(env.svc->Wait(t.no, eng, "型号？").ok());
    CHECK(env.svc->Wait(t.no, eng, "again").error().code == wedesk::Errc::kBadState);
    REQUIRE(env.svc->Resolve(t.no, eng, "").ok());  // from waiting
    CHECK(env.svc->Resolve(t.no, eng, "").error().code == wedesk::Errc::kBadState);
    CHECK(env.svc->Cancel(t.no, "emp1").error().code == wedesk::Errc::kBadState);
    CHECK(env.svc->Transfer(t.no, eng, "eng_n").error().code == wedesk::Errc::kBadState);
    CHECK(env.svc->Accept(t.no, eng).error().code == wedesk::Errc::kBadState);

    // Exactly the successful steps wrote events: accepted, waiting, resolved.
    CHECK(env.Int("SELECT COUNT(*) FROM ticket_events") == events_before + 3);
    CHECK(env.notifier.All().size() == sent_before + 3);
}

TEST_CASE("cancel: own, not yet resolved — the assignee is told", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted();
    CHECK(env.svc->Cancel(t.no, "emp2").error().code == wedesk::Errc::kNotFound);
    auto c = env.svc->Cancel(t.no, "emp1");
    REQUIRE(c.ok());
    CHECK(c->status == Status::kCancelled);
    CHECK_THAT(env.notifier.To(t.assignee, "text").back().body, Catch::Contains("取消"));
    CHECK(env.svc->Cancel(t.no, "emp1").error().code == wedesk::Errc::kBadState);
    CHECK(env.svc->Accept(t.no, t.assignee).error().code == wedesk::Errc::kBadState);
    CHECK(env.svc->Urge(t.no, "emp1").error().code == wedesk::Errc::kBadState);

    // Cancelling a new (undispatched) ticket works too.
    env.Exec("UPDATE users SET on_duty = 0");
    env.Exec("DELETE FROM user_groups WHERE userid = 'lead_d'");
    env.Exec("UPDATE users SET role = 'employee' WHERE userid IN ('lead_d', 'admin1')");
    Ticket n = env.Create();
    CHECK(n.status == Status::kNew);
    CHECK(n.assignee.empty());
    CHECK(env.svc->Cancel(n.no, "emp1")->status == Status::kCancelled);
    CHECK(env.notifier.To("", "retire").empty());  // accepted or never dispatched: no 接单 left
}

TEST_CASE("cancel before anyone accepted retires the engineer's card", "[unit]") {
    Env env;
    Ticket t = env.Create();
    REQUIRE(t.status == Status::kAssigned);
    REQUIRE(env.svc->Cancel(t.no, "emp1").ok());
    auto retired = env.notifier.To("t-" + t.no + "-1", "retire");
    REQUIRE(retired.size() == 1);
    CHECK(retired[0].body == "已取消");
}

TEST_CASE("nobody can see or change another employee's ticket", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted("emp1");
    const std::string eng = t.assignee;
    const std::string other_eng = eng == "eng_a" ? "eng_b" : "eng_a";

    auto unknown = env.svc->Get("IT20990101-0001", "emp2");
    auto foreign = env.svc->Get(t.no, "emp2");
    REQUIRE_FALSE(unknown.ok());
    REQUIRE_FALSE(foreign.ok());
    CHECK(foreign.error().code == wedesk::Errc::kNotFound);
    // Same answer shape as an unknown number: nothing reveals that it exists.
    CHECK(foreign.error().message == "没有找到工单 " + t.no + "，请检查编号。");

    CHECK(env.svc->Urge(t.no, "emp2").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Cancel(t.no, "emp2").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Reopen(t.no, "emp2").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Rate(t.no, "emp2", 5).error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->EmployeeReplied("emp2", t.no, "x").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->AddAttachment(t.no, "emp2", {"m1"}).error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Accept(t.no, "emp2").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Note(t.no, "emp2", "x").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Transfer(t.no, "emp2", "eng_n").error().code == wedesk::Errc::kNotFound);

    // Engineers of another group and unrelated engineers of the same group see nothing.
    CHECK(env.svc->Get(t.no, "eng_n").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Get(t.no, "lead_n").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Get(t.no, other_eng).error().code == wedesk::Errc::kNotFound);

    // Requester, assignee, the group's lead and admins do.
    for (const char* who : {"emp1", eng.c_str(), "lead_d", "admin1"}) {
        INFO(who);
        CHECK(env.svc->Get(t.no, who).ok());
    }
    // Numbers are matched case-insensitively, full-width too.
    std::string lower = t.no;
    lower[0] = 'i';
    lower[1] = 't';
    CHECK(env.svc->Get(" " + lower + " ", "emp1").ok());

    // The employee's list shows only their own tickets.
    env.Create("emp2");
    auto mine = env.svc->ListMine("emp1");
    REQUIRE(mine.ok());
    REQUIRE(mine->size() == 1);
    CHECK(mine->front().no == t.no);
}

TEST_CASE("my tickets: open and recent, newest first, status in words", "[unit]") {
    Env env;
    Ticket a = env.CreateAccepted();
    env.Advance(std::chrono::minutes(1));
    Ticket b = env.Create();
    env.Advance(std::chrono::minutes(1));
    Ticket c = env.Create();
    REQUIRE(env.svc->Cancel(c.no, "emp1").ok());
    REQUIRE(env.svc->Resolve(a.no, a.assignee, "ok").ok());
    REQUIRE(env.svc->Rate(a.no, "emp1", 4).ok());

    auto mine = env.svc->ListMine("emp1");
    REQUIRE(mine.ok());
    REQUIRE(mine->size() == 3);
    CHECK((*mine)[0].no == c.no);
    CHECK((*mine)[1].no == b.no);
    CHECK((*mine)[2].no == a.no);
    const std::string text = FormatList(*mine);
    CHECK_THAT(text,
               Catch::Contains("已取消") && Catch::Contains("已分派") && Catch::Contains("已关闭"));

    // 31 days later only the still-open one remains.
    env.Advance(std::chrono::hours(24 * 31));
    mine = env.svc->ListMine("emp1");
    REQUIRE(mine->size() == 1);
    CHECK(mine->front().no == b.no);
}

TEST_CASE("urge is limited to once per 30 minutes and notifies the assignee", "[unit]") {
    Env env;
    Ticket t = env.Create();
    env.notifier.Clear();
    REQUIRE(env.svc->Urge(t.no, "emp1").ok());
    REQUIRE(env.notifier.To(t.assignee, "text").size() == 1);
    CHECK_THAT(env.notifier.To(t.assignee, "text")[0].body, Catch::Contains("催办"));

    env.Advance(std::chrono::minutes(29));
    auto again = env.svc->Urge(t.no, "emp1");
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == wedesk::Errc::kTooSoon);
    CHECK_THAT(again.error().message, Catch::Contains("1 分钟后"));
    CHECK(env.notifier.To(t.assignee, "text").size() == 1);

    env.Advance(std::chrono::minutes(1));
    REQUIRE(env.svc->Urge(t.no, "emp1").ok());
    CHECK(env.notifier.To(t.assignee, "text").size() == 2);
    CHECK(env.Int("SELECT COUNT(*) FROM ticket_events WHERE kind = 'urged'") == 2);
}

TEST_CASE("urging an unassigned ticket tells the group lead", "[unit]") {
    Env env;
    env.Exec("UPDATE users SET on_duty = 0");
    env.Exec("UPDATE users SET role = 'employee' WHERE userid IN ('lead_d', 'admin1')");
    Ticket t = env.Create();
    REQUIRE(t.status == Status::kNew);
    env.Exec("UPDATE users SET role = 'lead' WHERE userid = 'lead_d'");
    REQUIRE(env.svc->Urge(t.no, "emp1").ok());
    CHECK(env.notifier.To("lead_d", "text").size() == 1);
}

TEST_CASE("reopen: own ticket, resolved within auto_close_days", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted();
    REQUIRE(env.svc->Resolve(t.no, t.assignee, "重启了").ok());
    env.Advance(std::chrono::hours(24 * 7));  // exactly at the edge: still allowed
    auto r = env.svc->Reopen(t.no, "emp1", "又坏了");
    REQUIRE(r.ok());
    CHECK(r->status == Status::kInProgress);
    CHECK(r->assignee == t.assignee);
    CHECK(r->resolved_at == 0);
    CHECK_THAT(env.notifier.To(t.assignee, "text").back().body, Catch::Contains("又坏了"));

    REQUIRE(env.svc->Resolve(t.no, t.assignee, "换了电源").ok());
    env.Advance(std::chrono::hours(24 * 7) + std::chrono::seconds(1));
    auto late = env.svc->Reopen(t.no, "emp1");
    REQUIRE_FALSE(late.ok());
    CHECK(late.error().code == wedesk::Errc::kExpired);

    // A rated (closed) ticket can be reopened while fresh: its rating is cleared for the next
    // resolution, and the old one stays in the timeline.
    Ticket u = env.CreateAccepted();
    REQUIRE(env.svc->Resolve(u.no, u.assignee, "").ok());
    REQUIRE(env.svc->Rate(u.no, "emp1", 2).ok());
    auto again = env.svc->Reopen(u.no, "emp1", "又坏了");
    REQUIRE(again.ok());
    CHECK(again->status == Status::kInProgress);
    CHECK_FALSE(again->rating.has_value());
    REQUIRE(env.svc->Resolve(u.no, u.assignee, "换了").ok());
    CHECK(env.svc->Rate(u.no, "emp1", 5).ok());
}

TEST_CASE("rating: 1..5, own, once, after resolution", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted();
    REQUIRE(env.svc->Resolve(t.no, t.assignee, "").ok());
    for (int bad : {0, 6, -1, 100}) {
        auto r = env.svc->Rate(t.no, "emp1", bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == wedesk::Errc::kInvalid);
    }
    CHECK(env.svc->Get(t.no, "emp1")->ticket.status == Status::kResolved);
    auto one = env.svc->Rate(t.no, "emp1", 1, "太慢");
    REQUIRE(one.ok());
    CHECK(one->rating == 1);
    CHECK(env.svc->Rate(t.no, "emp1", 5).error().code == wedesk::Errc::kAlreadyRated);

    Ticket u = env.CreateAccepted();
    REQUIRE(env.svc->Resolve(u.no, u.assignee, "").ok());
    CHECK(env.svc->Rate(u.no, "emp1", 5)->rating == 5);
}

TEST_CASE("transfer hands the ticket to another engineer who must accept", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted();
    const std::string eng = t.assignee;
    CHECK(env.svc->Transfer(t.no, eng, "nobody").error().code == wedesk::Errc::kInvalid);
    CHECK(env.svc->Transfer(t.no, eng, "emp2").error().code == wedesk::Errc::kInvalid);
    CHECK(env.svc->Transfer(t.no, eng, eng).error().code == wedesk::Errc::kInvalid);
    // An engineer hands over only to a colleague on duty in the ticket's group.
    const std::string other = eng == "eng_a" ? "eng_b" : "eng_a";
    auto out_of_group = env.svc->Transfer(t.no, eng, "eng_n");
    CHECK(out_of_group.error().code == wedesk::Errc::kInvalid);
    CHECK_THAT(out_of_group.error().message, Catch::Contains("不在本工单的处理组"));
    REQUIRE(env.svc->SetDuty(other, false).ok());
    CHECK_THAT(env.svc->Transfer(t.no, eng, other).error().message, Catch::Contains("不在班"));
    REQUIRE(env.svc->SetDuty(other, true).ok());
    CHECK(env.svc->AdminGet(t.no)->ticket.assignee == eng);
    env.notifier.Clear();

    // The group's lead may send it anywhere, with a reason for the timeline.
    auto tr = env.svc->Transfer(t.no, "lead_d", "ENG_N", "网络问题，不是电脑");
    REQUIRE(tr.ok());
    CHECK(tr->assignee == "eng_n");
    CHECK(tr->status == Status::kAssigned);
    auto cards = env.notifier.To("eng_n", "card");
    REQUIRE(cards.size() == 1);
    CHECK(cards[0].card.id == "t-" + t.no + "-2");
    CHECK_THAT(env.notifier.To("emp1", "text").back().body, Catch::Contains("转交"));
    CHECK(env.notifier.To("t-" + t.no + "-1", "retire").size() == 1);

    // The previous engineer lost it.
    CHECK(env.svc->Resolve(t.no, eng, "").error().code == wedesk::Errc::kNotFound);
    CHECK(env.svc->Accept(t.no, "eng_n")->status == Status::kInProgress);
    // First-accept time is kept for the response SLA.
    CHECK(env.svc->Get(t.no, "eng_n")->ticket.accepted_at == t.accepted_at);
    bool reason_kept = false;
    const auto detail = env.svc->AdminGet(t.no);
    REQUIRE(detail.ok());
    for (const auto& e : detail->events) {
        reason_kept = reason_kept || (e.kind == "transferred" &&
                                      e.detail.find("网络问题，不是电脑") != std::string::npos);
    }
    CHECK(reason_kept);
}

TEST_CASE("补充 and 回复: the employee adds to the ticket, the engineer writes back", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted();
    env.notifier.Clear();
    auto added = env.svc->AddInfo(t.no, "emp1", "在5楼东侧（靠窗）");
    REQUIRE(added.ok());
    const auto told = env.notifier.To(t.assignee, "text");
    REQUIRE(told.size() == 1);
    CHECK_THAT(told[0].body, Catch::Contains("在5楼东侧（靠窗）"));
    CHECK_FALSE(env.svc->AddInfo(t.no, "emp2", "不是我的").ok());
    CHECK(env.svc->AddInfo(t.no, "emp1", "  ").error().code == wedesk::Errc::kInvalid);

    auto replied = env.svc->ReplyToRequester(t.no, t.assignee, "我十分钟后到");
    REQUIRE(replied.ok());
    const auto to_emp = env.notifier.To("emp1", "text");
    REQUIRE(to_emp.size() == 1);
    CHECK_THAT(to_emp[0].body, Catch::Contains("我十分钟后到"));
    CHECK_THAT(to_emp[0].body, Catch::Contains("补充 " + t.no));
    CHECK_FALSE(env.svc->ReplyToRequester(t.no, "emp1", "我自己回").ok());
    // Both are on the timeline the employee sees (a note would not be).
    auto seen = env.svc->Get(t.no, "emp1");
    REQUIRE(seen.ok());
    int public_entries = 0;
    for (const auto& e : seen->events) {
        public_entries += (e.kind == "info" || e.kind == "message") ? 1 : 0;
    }
    CHECK(public_entries == 2);
}

TEST_CASE("a low rating reaches the group's lead", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted();
    REQUIRE(env.svc->Resolve(t.no, t.assignee, "已处理").ok());
    env.notifier.Clear();
    REQUIRE(env.svc->Rate(t.no, "emp1", 2, "等了很久").ok());
    const auto lead = env.notifier.To("lead_d", "text");
    REQUIRE(lead.size() == 1);
    CHECK_THAT(lead[0].body, Catch::Contains("低分评价"));
    CHECK_THAT(lead[0].body, Catch::Contains("等了很久"));
}

TEST_CASE("attachments can be added by the requester and the assignee", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted();
    env.notifier.Clear();
    auto r = env.svc->AddAttachment(t.no, "emp1", {"media-9"});
    REQUIRE(r.ok());
    REQUIRE(r->attachments.size() == 1);
    CHECK(r->attachments[0].media_id == "media-9");
    CHECK(r->attachments[0].type == "image");
    CHECK(env.notifier.To(t.assignee, "text").size() == 1);
    CHECK(env.svc->AddAttachment(t.no, t.assignee, {"log-1", "file", "log.txt"})
              ->attachments.size() == 2);
    CHECK(env.svc->AddAttachment(t.no, "emp1", {" "}).error().code == wedesk::Errc::kInvalid);
    CHECK(r->status == Status::kInProgress);  // not waiting: the status is left alone

    // On a ticket that waits for the requester, their attachment is the answer.
    REQUIRE(env.svc->Wait(t.no, t.assignee, "请拍一下报错窗口")->status == Status::kWaiting);
    env.notifier.Clear();
    auto answer = env.svc->AddAttachment(t.no, "emp1", {"media-10"});
    REQUIRE(answer.ok());
    CHECK(answer->status == Status::kInProgress);
    CHECK_FALSE(answer->paused);
    CHECK_THAT(env.notifier.To(t.assignee, "text").back().body, Catch::Contains("已恢复处理"));
    // The assignee's own attachment does not answer for the requester.
    REQUIRE(env.svc->Wait(t.no, t.assignee, "还需要序列号")->status == Status::kWaiting);
    CHECK(env.svc->AddAttachment(t.no, t.assignee, {"log-2", "file"})->status == Status::kWaiting);
}

TEST_CASE("duty: only staff can go on and off duty", "[unit]") {
    Env env;
    CHECK(env.svc->SetDuty("emp1", true).error().code == wedesk::Errc::kForbidden);
    CHECK(env.svc->SetDuty("ghost", true).error().code == wedesk::Errc::kForbidden);
    REQUIRE(env.svc->SetDuty("eng_a", false).ok());
    CHECK(env.Int("SELECT on_duty FROM users WHERE userid = 'eng_a'") == 0);
    REQUIRE(env.svc->SetDuty("lead_d", true).ok());
    CHECK(env.Int("SELECT on_duty FROM users WHERE userid = 'lead_d'") == 1);
}

TEST_CASE("my tasks lists the engineer's open tickets, most urgent first", "[unit]") {
    Env env;
    env.Exec("UPDATE users SET on_duty = 0 WHERE userid = 'eng_b'");
    Ticket p3 = env.Create("emp1", "P3");
    env.Advance(std::chrono::minutes(1));
    Ticket p1 = env.Create("emp2", "P1");
    Ticket done = env.CreateAccepted("emp2");
    REQUIRE(env.svc->Resolve(done.no, "eng_a", "").ok());
    auto tasks = env.svc->MyTasks("eng_a");
    REQUIRE(tasks.ok());
    REQUIRE(tasks->size() == 2);
    CHECK((*tasks)[0].no == p1.no);
    CHECK((*tasks)[1].no == p3.no);
}

TEST_CASE("a step joins the caller's open transaction and rolls back with it", "[unit]") {
    Env env;
    {
        store::WriteTx tx(*env.db);
        auto r = env.svc->Create("emp1", "printer", "卡纸", "P3");
        REQUIRE(r.ok());
        // A refused step inside the caller's transaction leaves the caller's work intact.
        CHECK(env.svc->Rate(r->no, "emp1", 9).error().code == wedesk::Errc::kInvalid);
        CHECK(env.Int("SELECT COUNT(*) FROM tickets") == 1);
        // No commit: the caller gives up.
    }
    CHECK(env.Int("SELECT COUNT(*) FROM tickets") == 0);
    CHECK(env.Int("SELECT COUNT(*) FROM ticket_events") == 0);
    CHECK(env.Int("SELECT COUNT(*) FROM ticket_seq") == 0);
    {
        store::WriteTx tx(*env.db);
        REQUIRE(env.svc->Create("emp1", "printer", "卡纸", "P3").ok());
        tx.Commit();
    }
    CHECK(env.Int("SELECT COUNT(*) FROM tickets") == 1);
}

TEST_CASE("a ticket resolved twice sends two resolution cards with distinct task ids", "[unit]") {
    Env env;
    Ticket t = env.CreateAccepted();
    REQUIRE(env.svc->Resolve(t.no, t.assignee, "第一次").ok());
    REQUIRE(env.svc->Reopen(t.no, "emp1", "还是坏的").ok());
    REQUIRE(env.svc->Resolve(t.no, t.assignee, "第二次").ok());
    const auto cards = env.notifier.To("emp1", "card");
    REQUIRE(cards.size() == 2);
    CHECK(cards[0].card.id != cards[1].card.id);
    CHECK_THAT(cards[1].card.text, Catch::Contains("第二次"));
}
