#include "wedesk/store/user_repository.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>

#include "wedesk/common/text.hpp"
#include "wedesk/store/database.hpp"

namespace wedesk::store {

namespace {

constexpr std::array<const char*, 7> kColumns = {"userid",     "name", "mobile", "account",
                                                 "department", "role", "groups"};
constexpr std::size_t kMaxUserid = 64;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

/// One CSV record and the physical line it starts on.
struct CsvRecord {
    int line = 0;
    std::vector<std::string> fields;
};

/// RFC 4180 reader: fields separated by ',', records by LF, CRLF or CR; a field in double
/// quotes may hold ',', line breaks and doubled quotes. A quote inside an unquoted field is
/// kept as is (spreadsheets write such files). Problems go to `errors` as "line N: ...".
std::vector<CsvRecord> ReadCsv(std::string_view text, std::vector<std::string>& errors) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
    }
    std::vector<CsvRecord> records;
    CsvRecord record{1, {}};
    std::string field;
    int line = 1;
    std::size_t i = 0;
    bool at_field_start = true;
    auto end_field = [&] {
        record.fields.push_back(std::move(field));
        field.clear();
        at_field_start = true;
    };
    auto end_record = [&] {
        end_field();
        records.push_back(std::move(record));
        record = CsvRecord{line, {}};
    };
    auto skip_newline = [&](std::size_t at) {  // returns index after the line break at `at`
        if (text[at] == '\r' && at + 1 < text.size() && text[at + 1] == '\n') {
            ++at;
        }
        ++line;
        return at + 1;
    };
    while (i < text.size()) {
        const char c = text[i];
        if (at_field_start && c == '"') {
            // Quoted field: read to the closing quote.
            const int start_line = line;
            ++i;
            bool closed = false;
            while (i < text.size()) {
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    closed = true;
                    break;
                }
                if (text[i] == '\n' || (text[i] == '\r')) {
                    const std::size_t next = skip_newline(i);
                    field += '\n';
                    i = next;
                    continue;
                }
                field += text[i++];
            }
            if (!closed) {
                errors.push_back("line " + std::to_string(start_line) +
                                 ": quoted field is never closed");
                return records;
            }
            at_field_start = false;
            if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                errors.push_back("line " + std::to_string(line) +
                                 ": unexpected text after a closing quote");
                // Skip to the end of the line and drop this record.
                while (i < text.size() && text[i] != '\n' && text[i] != '\r') {
                    ++i;
                }
                if (i < text.size()) {
                    i = skip_newline(i);
                }
                field.clear();
                record = CsvRecord{line, {}};
                at_field_start = true;
            }
            continue;
        }
        if (c == ',') {
            end_field();
            ++i;
            continue;
        }
        if (c == '\n' || c == '\r') {
            i = skip_newline(i);
            end_record();
            continue;
        }
        field += c;
        at_field_start = false;
        ++i;
    }
    if (!at_field_start || !record.fields.empty()) {
        end_record();
    }
    return records;
}

bool IsBlank(const CsvRecord& r) {
    return std::all_of(r.fields.begin(), r.fields.end(),
                       [](const std::string& f) { return text::Trim(f).empty(); });
}

bool IsValidUserid(const std::string& s) {
    if (s.empty() || s.size() > kMaxUserid) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               c == '-' || c == '.' || c == '@';
    });
}

std::vector<std::string> SplitGroups(const std::string& s) {
    std::set<std::string> groups;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        const auto next = s.find(';', pos);
        auto g = text::Trim(s.substr(pos, next == std::string::npos ? next : next - pos));
        if (!g.empty()) {
            groups.insert(std::move(g));
        }
        if (next == std::string::npos) {
            break;
        }
        pos = next + 1;
    }
    return {groups.begin(), groups.end()};
}

std::vector<std::string> SplitStored(const std::string& joined) {
    std::vector<std::string> out;
    if (joined.empty()) {
        return out;
    }
    std::size_t pos = 0;
    while (true) {
        const auto next = joined.find(';', pos);
        out.push_back(joined.substr(pos, next == std::string::npos ? next : next - pos));
        if (next == std::string::npos) {
            break;
        }
        pos = next + 1;
    }
    std::sort(out.begin(), out.end());
    return out;
}

constexpr const char* kSelectUser =
    "SELECT u.userid, u.name, u.mobile, u.account, u.department, u.role, u.on_duty, "
    "u.last_assigned_at, "
    "(SELECT group_concat(g.group_name, ';') FROM user_groups g WHERE g.userid = u.userid) "
    "FROM users u ";

User ReadUser(store::Query& q) {
    User u;
    u.userid = q.getColumn(0).getString();
    u.name = q.getColumn(1).getString();
    u.mobile = q.getColumn(2).getString();
    u.account = q.getColumn(3).getString();
    u.department = q.getColumn(4).getString();
    u.role = ParseRole(q.getColumn(5).getString()).value_or(Role::kEmployee);
    u.on_duty = q.getColumn(6).getInt() != 0;
    u.last_assigned_at = q.getColumn(7).getInt64();
    u.groups = SplitStored(q.getColumn(8).getString());
    return u;
}

/// A validated CSV row, ready to store.
struct Row {
    int line = 0;
    User user;
};

std::optional<Row> ValidateRow(const CsvRecord& rec, const std::vector<int>& column_of,
                               std::vector<std::string>& errors) {
    const auto where = "line " + std::to_string(rec.line) + ": ";
    if (rec.fields.size() != kColumns.size()) {
        errors.push_back(where + "expected " + std::to_string(kColumns.size()) + " fields, got " +
                         std::to_string(rec.fields.size()));
        return std::nullopt;
    }
    std::array<std::string, kColumns.size()> v;
    for (std::size_t c = 0; c < kColumns.size(); ++c) {
        const auto& raw = rec.fields[static_cast<std::size_t>(column_of[c])];
        if (!text::IsValidUtf8(raw)) {
            errors.push_back(where + std::string(kColumns[c]) + " is not valid UTF-8");
            return std::nullopt;
        }
        v[c] = text::Trim(raw);
    }
    const std::size_t before = errors.size();
    Row row;
    row.line = rec.line;
    User& u = row.user;
    u.userid = text::AsciiLower(v[0]);
    u.name = v[1];
    u.account = v[3];
    u.department = v[4];
    const auto role = v[5].empty() ? std::optional<Role>(Role::kEmployee) : ParseRole(v[5]);
    u.role = role.value_or(Role::kEmployee);
    u.groups = SplitGroups(v[6]);
    if (u.userid.empty()) {
        errors.push_back(where + "userid is empty");
    } else if (!IsValidUserid(u.userid)) {
        errors.push_back(where +
                         "userid may only hold letters, digits, '_', '-', '.', '@' (at "
                         "most 64)");
    }
    if (u.name.empty()) {
        errors.push_back(where + "name is empty");
    }
    if (!v[2].empty()) {
        if (auto m = NormalizeMobile(v[2])) {
            u.mobile = *m;
        } else {
            errors.push_back(where + "mobile must be E.164 (+8613800138000) or 11 digits");
        }
    }
    if (std::any_of(u.account.begin(), u.account.end(),
                    [](char c) { return c == ' ' || c == '\t' || c == '\n'; })) {
        errors.push_back(where + "account must not contain spaces");
    }
    if (!role) {
        errors.push_back(where + "role must be employee, engineer, lead or admin");
    }
    if (errors.size() != before) {
        return std::nullopt;
    }
    return row;
}

}  // namespace

std::optional<std::string> NormalizeMobile(const std::string& raw) {
    std::string s;
    for (char c : raw) {
        if (c == ' ' || c == '-') {
            continue;
        }
        s += c;
    }
    if (s.size() == 11 && s[0] == '1' && std::all_of(s.begin(), s.end(), IsDigit)) {
        return "+86" + s;
    }
    if (s.size() >= 9 && s.size() <= 16 && s[0] == '+' && s[1] != '0' &&
        std::all_of(s.begin() + 1, s.end(), IsDigit)) {
        // Mainland numbers must still be 11 digits starting with 1.
        if (s.compare(0, 3, "+86") == 0 && (s.size() != 14 || s[3] != '1')) {
            return std::nullopt;
        }
        return s;
    }
    return std::nullopt;
}

std::optional<User> UserRepository::Find(const std::string& userid) {
    static const std::string kSql = std::string(kSelectUser) + "WHERE u.userid = ?";
    store::Query q(db_.Conn(), kSql);
    q.bind(1, text::AsciiLower(userid));
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return ReadUser(q);
}

std::vector<User> UserRepository::List() { return Query("", {}, "u.userid"); }

std::vector<std::string> UserRepository::OwnersOf(const std::string& account) {
    std::vector<std::string> out;
    if (account.empty()) {
        return out;
    }
    store::Query q(db_.Conn(),
                   "SELECT userid FROM users WHERE lower(account) = lower(?) ORDER BY userid");
    q.bind(1, account);
    while (q.executeStep()) {
        out.push_back(q.getColumn(0).getString());
    }
    return out;
}

std::vector<User> UserRepository::OnDutyInGroup(const std::string& group) {
    return Query(
        "u.on_duty = 1 AND EXISTS (SELECT 1 FROM user_groups g WHERE g.userid = u.userid AND "
        "g.group_name = ?)",
        {group}, "u.last_assigned_at, u.userid");
}

std::vector<User> UserRepository::OnDutyStaff() {
    return Query("u.on_duty = 1 AND u.role IN ('engineer','lead')", {}, "u.name, u.userid");
}

std::vector<User> UserRepository::FindByName(const std::string& name) {
    return Query("u.name = ?", {name}, "u.userid");
}

std::vector<User> UserRepository::InGroupWithRole(const std::string& group, Role role) {
    return Query(
        "u.role = ? AND EXISTS (SELECT 1 FROM user_groups g WHERE g.userid = u.userid AND "
        "g.group_name = ?)",
        {std::string(RoleName(role)), group}, "u.userid");
}

std::vector<User> UserRepository::Query(const std::string& where_sql,
                                        const std::vector<std::string>& args,
                                        const std::string& order_sql) {
    std::string sql = kSelectUser;
    if (!where_sql.empty()) {
        sql += "WHERE " + where_sql + " ";
    }
    sql += "ORDER BY " + order_sql;
    store::Query q(db_.Conn(), sql);
    for (std::size_t i = 0; i < args.size(); ++i) {
        q.bind(static_cast<int>(i + 1), args[i]);
    }
    std::vector<User> out;
    while (q.executeStep()) {
        out.push_back(ReadUser(q));
    }
    return out;
}

Result<void> UserRepository::SetDuty(const std::string& userid, bool on_duty, std::int64_t now) {
    if (on_duty) {
        // Only engineers and leads take tickets: putting anyone else on duty would send them
        // dispatch cards they cannot act on.
        const auto u = Find(text::AsciiLower(userid));
        if (!u) {
            return Fail(Errc::kNotFound, "no user " + userid);
        }
        if (!TakesTickets(u->role)) {
            return Fail(Errc::kForbidden, userid + " is " + std::string(RoleName(u->role)) +
                                              ": only engineers and leads can be on duty");
        }
    }
    store::StepTx write(db_);
    store::Query q(write.Conn(), "UPDATE users SET on_duty = ?, updated_at = ? WHERE userid = ?");
    q.bind(1, on_duty ? 1 : 0);
    q.bind(2, now);
    q.bind(3, text::AsciiLower(userid));
    const int changed = q.exec();
    write.Commit();
    if (changed == 0) {
        return Fail(Errc::kNotFound, "no user " + userid);
    }
    return {};
}

void UserRepository::TouchAssigned(const std::string& userid, std::int64_t now) {
    store::StepTx write(db_);
    store::Query q(write.Conn(), "UPDATE users SET last_assigned_at = ? WHERE userid = ?");
    q.bind(1, now);
    q.bind(2, text::AsciiLower(userid));
    q.exec();
    write.Commit();
}

Result<ImportReport> UserRepository::ImportCsv(const std::string& csv_text, std::int64_t now) {
    std::vector<std::string> errors;
    auto records = ReadCsv(csv_text, errors);
    // Blank lines (and a trailing newline) are not rows.
    records.erase(std::remove_if(records.begin(), records.end(), IsBlank), records.end());
    if (records.empty()) {
        errors.insert(
            errors.begin(), "line 1: missing header " + [] {
                std::string h;
                for (const char* c : kColumns) {
                    h += (h.empty() ? "" : ",") + std::string(c);
                }
                return h;
            }());
    }

    std::vector<Row> rows;
    if (!records.empty()) {
        // Header: every SPEC column exactly once, in any order.
        const auto& header = records.front();
        std::vector<int> column_of(kColumns.size(), -1);
        const auto where = "line " + std::to_string(header.line) + ": ";
        bool header_ok = true;
        for (std::size_t i = 0; i < header.fields.size(); ++i) {
            const auto name = text::AsciiLower(text::Trim(header.fields[i]));
            const auto it = std::find_if(kColumns.begin(), kColumns.end(),
                                         [&](const char* c) { return name == c; });
            if (it == kColumns.end()) {
                errors.push_back(where + "unknown column \"" + name + "\"");
                header_ok = false;
                continue;
            }
            auto& slot = column_of[static_cast<std::size_t>(it - kColumns.begin())];
            if (slot >= 0) {
                errors.push_back(where + "column \"" + name + "\" appears twice");
                header_ok = false;
            }
            slot = static_cast<int>(i);
        }
        for (std::size_t c = 0; c < kColumns.size(); ++c) {
            if (column_of[c] < 0) {
                errors.push_back(where + "missing column \"" + std::string(kColumns[c]) + "\"");
                header_ok = false;
            }
        }
        if (header_ok) {
            std::map<std::string, int> first_line;
            // One person per directory account, whatever the spelling: "DAVE" is dave's.
            std::map<std::string, std::pair<std::string, int>> account_owner;
            for (std::size_t r = 1; r < records.size(); ++r) {
                auto row = ValidateRow(records[r], column_of, errors);
                if (!row) {
                    continue;
                }
                const auto [it, fresh] = first_line.emplace(row->user.userid, row->line);
                if (!fresh) {
                    errors.push_back("line " + std::to_string(row->line) + ": duplicate userid " +
                                     row->user.userid + " (also on line " +
                                     std::to_string(it->second) + ")");
                    continue;
                }
                if (!row->user.account.empty()) {
                    const auto [owner, first] =
                        account_owner.emplace(text::AsciiLower(row->user.account),
                                              std::make_pair(row->user.userid, row->line));
                    if (!first) {
                        errors.push_back("line " + std::to_string(row->line) + ": account " +
                                         row->user.account + " is already mapped to " +
                                         owner->second.first + " (line " +
                                         std::to_string(owner->second.second) + ")");
                        continue;
                    }
                }
                rows.push_back(std::move(*row));
            }
        }
    }
    if (!errors.empty()) {
        std::stable_sort(errors.begin(), errors.end(),
                         [](const std::string& a, const std::string& b) {
                             auto line_of = [](const std::string& s) {
                                 return std::stol(s.substr(5, s.find(':') - 5));
                             };
                             return line_of(a) < line_of(b);
                         });
        std::string message;
        for (const auto& e : errors) {
            message += (message.empty() ? "" : "\n") + e;
        }
        return Fail(Errc::kInvalid, message);
    }

    ImportReport report;
    try {
        WriteTx tx(db_);
        auto& conn = tx.Conn();
        // Accounts held by people this file does not remap (the unique index would refuse
        // them too, but without naming the line).
        {
            std::map<std::string, std::string> new_account;  // userid -> lower(account)
            for (const auto& row : rows) {
                new_account[row.user.userid] = text::AsciiLower(row.user.account);
            }
            store::Query held(conn,
                              "SELECT userid FROM users WHERE lower(account) = lower(?) "
                              "AND userid != ?");
            for (const auto& row : rows) {
                if (row.user.account.empty()) {
                    continue;
                }
                held.reset();
                held.bind(1, row.user.account);
                held.bind(2, row.user.userid);
                while (held.executeStep()) {
                    const std::string other = held.getColumn(0).getString();
                    const auto remap = new_account.find(other);
                    if (remap == new_account.end() ||
                        remap->second == text::AsciiLower(row.user.account)) {
                        errors.push_back("line " + std::to_string(row.line) + ": account " +
                                         row.user.account + " is already mapped to " + other);
                    }
                }
            }
            if (!errors.empty()) {
                std::string message;
                for (const auto& e : errors) {
                    message += (message.empty() ? "" : "\n") + e;
                }
                return Fail(Errc::kInvalid, message);
            }
        }
        store::Query insert(conn,
                            "INSERT INTO users (userid, name, mobile, account, department, "
                            "role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        store::Query update(conn,
                            "UPDATE users SET name = ?, mobile = ?, account = ?, "
                            "department = ?, role = ?, updated_at = ? WHERE userid = ?");
        store::Query clear_groups(conn, "DELETE FROM user_groups WHERE userid = ?");
        store::Query add_group(conn, "INSERT INTO user_groups (userid, group_name) VALUES (?, ?)");
        for (const auto& row : rows) {
            const User& u = row.user;
            auto existing = Find(u.userid);
            if (existing && existing->name == u.name && existing->mobile == u.mobile &&
                existing->account == u.account && existing->department == u.department &&
                existing->role == u.role && existing->groups == u.groups) {
                ++report.unchanged;
                continue;
            }
            if (existing) {
                update.reset();
                update.bind(1, u.name);
                update.bind(2, u.mobile);
                update.bind(3, u.account);
                update.bind(4, u.department);
                update.bind(5, std::string(RoleName(u.role)));
                update.bind(6, now);
                update.bind(7, u.userid);
                update.exec();
                clear_groups.reset();
                clear_groups.bind(1, u.userid);
                clear_groups.exec();
                ++report.updated;
            } else {
                insert.reset();
                insert.bind(1, u.userid);
                insert.bind(2, u.name);
                insert.bind(3, u.mobile);
                insert.bind(4, u.account);
                insert.bind(5, u.department);
                insert.bind(6, std::string(RoleName(u.role)));
                insert.bind(7, now);
                insert.bind(8, now);
                insert.exec();
                ++report.inserted;
            }
            for (const auto& g : u.groups) {
                add_group.reset();
                add_group.bind(1, u.userid);
                add_group.bind(2, g);
                add_group.exec();
            }
        }
        tx.Commit();
    } catch (const store::Error& e) {
        return Fail(Errc::kDb, std::string("users import: ") + e.what());
    }
    return report;
}

}  // namespace wedesk::store
