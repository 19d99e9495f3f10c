#pragma once
/// UserRepository: the people wedesk knows (employees, engineers, leads, admins), their
/// engineer groups and duty state, imported from the SPEC users CSV
/// (`userid,name,mobile,account,department,role,groups`). Runs on the calling thread's
/// connection, so the single-row calls join the caller's WriteTx; ImportCsv opens its own.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wedesk/common/result.hpp"
#include "wedesk/common/role.hpp"

namespace wedesk::store {

class Database;

struct User {
    std::string userid;  ///< WeCom UserID, lower-cased
    std::string name;
    std::string mobile;   ///< E.164 ("+8613800138000") or ""
    std::string account;  ///< directory login name or ""
    std::string department;
    Role role = Role::kEmployee;
    std::vector<std::string> groups;  ///< engineer groups, sorted
    bool on_duty = false;
    std::int64_t last_assigned_at = 0;  ///< unix seconds of the last ticket assigned, 0 never
};

struct ImportReport {
    int inserted = 0;
    int updated = 0;
    int unchanged = 0;
};

/// Normalises a mobile number to E.164: "+<8..15 digits>" kept, 11-digit mainland numbers
/// ("13800138000") get "+86"; spaces and '-' are ignored. nullopt when neither form.
std::optional<std::string> NormalizeMobile(const std::string& raw);

class UserRepository final {
public:
    explicit UserRepository(Database& db) : db_(db) {}

    /// The user with this userid (compared case-insensitively), with groups.
    std::optional<User> Find(const std::string& userid);
    /// Everyone, ordered by userid.
    std::vector<User> List();
    /// The userids mapped to directory `account` (compared case-insensitively; at most one
    /// since migration 11, but read as a list).
    std::vector<std::string> OwnersOf(const std::string& account);

    /// Upserts every row of the CSV in one transaction, or nothing: any bad row fails the
    /// whole file with an "invalid" error listing every problem as "line N: ..." (one per
    /// line of the message). Quoted fields (with commas, quotes, newlines), a UTF-8 BOM and
    /// CRLF line ends are accepted; the header may list the columns in any order. Empty role
    /// means employee; groups are ';'-separated. People missing from the file are kept; duty
    /// state and last assignment are never changed by an import.
    Result<ImportReport> ImportCsv(const std::string& csv_text, std::int64_t now);

    /// Sets on/off duty. Error "not_found" for an unknown userid, "forbidden" when putting
    /// someone who takes no tickets (employee, admin) on duty.
    Result<void> SetDuty(const std::string& userid, bool on_duty, std::int64_t now);

    /// On-duty members of `group`, least recently assigned first (then by userid): the order
    /// round-robin dispatch wants.
    std::vector<User> OnDutyInGroup(const std::string& group);
    /// Engineers and leads on duty, by name.
    std::vector<User> OnDutyStaff();
    /// People whose display name is `name` exactly (names are not unique).
    std::vector<User> FindByName(const std::string& name);
    /// Members of `group` with `role` (e.g. the group's leads for escalation), by userid.
    std::vector<User> InGroupWithRole(const std::string& group, Role role);

    /// Records that a ticket was just assigned to `userid` (for round-robin).
    void TouchAssigned(const std::string& userid, std::int64_t now);

private:
    std::vector<User> Query(const std::string& where_sql, const std::vector<std::string>& args,
                            const std::string& order_sql);

    Database& db_;
};

}  // namespace wedesk::store
