#include <catch2/catch.hpp>

#include <chrono>

#include "tickets_env.hpp"

#include "wedesk/schema/all.hpp"
#include "wedesk/store/sql.hpp"

namespace wedesk::tickets::testing {

std::int64_t Local(int y, unsigned m, unsigned d, int hh, int mm) {
    const std::chrono::sys_days day{std::chrono::year(y) / std::chrono::month(m) /
                                    std::chrono::day(d)};
    return std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count() +
           hh * 3600 + mm * 60 - 8 * 3600;
}

config::TicketsConfig TestConfig() {
    config::TicketsConfig c;
    c.categories = {{"printer", "打印机"}, {"network", "网络"}, {"account", "账号"}};
    c.groups = {{"desktop", {"printer"}}, {"network", {"network"}}};
    c.sla = {{"P1", {30, 240}}, {"P2", {60, 480}}, {"P3", {120, 960}}};
    c.sla_clock = {{"P1", "calendar"}};
    c.accept_timeout_min = 15;
    c.auto_close_days = 7;
    return c;
}

Env::Env() {
    db = store::Database::Open(dir.File("wedesk.db"), wedesk::schema::All());
    AddUser("emp1", "employee", {}, false, "张三");
    AddUser("emp2", "employee", {}, false, "李四");
    AddUser("eng_a", "engineer", {"desktop"}, true, "工程师A");
    AddUser("eng_b", "engineer", {"desktop"}, true, "工程师B");
    AddUser("lead_d", "lead", {"desktop"}, false, "桌面组长");
    AddUser("eng_n", "engineer", {"network"}, true, "网络工程师");
    AddUser("lead_n", "lead", {"network"}, false, "网络组长");
    AddUser("admin1", "admin", {}, false, "管理员");
    svc = std::make_unique<TicketService>(*db, cfg, notifier, clock);
}

void Env::AddUser(const std::string& userid, const std::string& role,
                  const std::vector<std::string>& groups, bool on_duty, const std::string& name) {
    wedesk::store::StepTx write(*db, "add_user");
    wedesk::store::Query q(write.Conn(),
                           "INSERT INTO users(userid, name, role, on_duty, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?, 0, 0)");
    q.bind(1, userid);
    q.bind(2, name);
    q.bind(3, role);
    q.bind(4, on_duty ? 1 : 0);
    q.exec();
    for (const auto& g : groups) {
        wedesk::store::Query gq(write.Conn(),
                                "INSERT INTO user_groups(userid, group_name) VALUES (?, ?)");
        gq.bind(1, userid);
        gq.bind(2, g);
        gq.exec();
    }
    write.Commit();
}

void Env::Exec(const std::string& sql) {
    wedesk::store::StepTx write(*db, "fixture");
    write.Conn().exec(sql);
    write.Commit();
}

std::int64_t Env::Int(const std::string& sql) { return db->Conn().execAndGet(sql).getInt64(); }

Ticket Env::Create(const std::string& requester, const std::string& priority,
                   const std::string& category) {
    auto r = svc->Create(requester, category, "打印机卡纸，三楼东侧", priority);
    REQUIRE(r.ok());
    return *r;
}

Ticket Env::CreateAccepted(const std::string& requester, const std::string& priority) {
    Ticket t = Create(requester, priority);
    REQUIRE_FALSE(t.assignee.empty());
    auto r = svc->Accept(t.no, t.assignee);
    REQUIRE(r.ok());
    return *r;
}

}  // namespace wedesk::tickets::testing
