#pragma once
// Shared fixture for the tickets unit tests: a real SQLite file in a temp dir, a fake clock, a
// recording Notifier, a config with two groups, and a few people.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/fake_clock.hpp"
#include "fakes/recording_notifier.hpp"
#include "fakes/temp_dir.hpp"
#include "wedesk/common/notifier.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::tickets::testing {

using wedesk::testing::RecordingNotifier;
using wedesk::testing::Sent;

/// Unix seconds of a local (+08:00) wall-clock time.
std::int64_t Local(int y, unsigned m, unsigned d, int hh = 0, int mm = 0);

config::TicketsConfig TestConfig();

struct Env {
    wedesk::testing::TempDir dir;
    std::unique_ptr<store::Database> db;
    config::TicketsConfig cfg = TestConfig();
    wedesk::testing::FakeClock clock{Local(2026, 11, 23, 10, 0)};  // Monday 10:00
    RecordingNotifier notifier;
    std::unique_ptr<TicketService> svc;

    /// Employees emp1, emp2; group "desktop": engineers eng_a, eng_b (on duty), lead_d;
    /// group "network": engineer eng_n (on duty), lead_n; admin admin1.
    Env();
    void AddUser(const std::string& userid, const std::string& role,
                 const std::vector<std::string>& groups, bool on_duty,
                 const std::string& name = "");
    void Exec(const std::string& sql);
    std::int64_t Int(const std::string& sql);
    void Advance(std::chrono::seconds s) { clock.Advance(s); }

    /// Creates a printer ticket (group desktop) and asserts success.
    Ticket Create(const std::string& requester = "emp1", const std::string& priority = "P3",
                  const std::string& category = "printer");
    /// Create + accept by its assignee.
    Ticket CreateAccepted(const std::string& requester = "emp1",
                          const std::string& priority = "P3");
};

}  // namespace wedesk::tickets::testing
