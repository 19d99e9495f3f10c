#include "wedesk/config/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string_view>

#include "wedesk/common/text.hpp"

extern char** environ;  // NOLINT: POSIX

namespace wedesk::config {

namespace {

using nlohmann::json;

constexpr std::string_view kEnvPrefix = "WEDESK__";
constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();
const char* const kPriorities[] = {"P1", "P2", "P3"};

enum class Kind { kString, kInt, kBool, kArray, kObject };

const char* KindName(Kind k) {
    switch (k) {
        case Kind::kString:
            return "string";
        case Kind::kInt:
            return "integer";
        case Kind::kBool:
            return "boolean";
        case Kind::kArray:
            return "array";
        case Kind::kObject:
            return "object";
    }
    return "value";
}

bool IsKind(const json& j, Kind k) {
    switch (k) {
        case Kind::kString:
            return j.is_string();
        case Kind::kInt:
            return j.is_number_integer();
        case Kind::kBool:
            return j.is_boolean();
        case Kind::kArray:
            return j.is_array();
        case Kind::kObject:
            return j.is_object();
    }
    return false;
}

/// One WEDESK__... environment entry. The value is never put into a message: it may be a
/// secret.
struct Override {
    std::string env_name;
    std::string value;
    bool used = false;
};

/// Shared state of one Parse call: collected errors and the pending env overrides, keyed by
/// the lower-cased dotted key path ("sms.tencent.secret_key").
class Context {
public:
    void Add(const std::string& path, const std::string& message) {
        std::string m = path + ": " + message;
        if (auto it = origin_.find(path); it != origin_.end()) {
            m += " (set by " + it->second + ")";
        }
        errors_.push_back(std::move(m));
    }
    void AddRaw(std::string message) { errors_.push_back(std::move(message)); }
    bool HasErrors() const { return !errors_.empty(); }
    const std::vector<std::string>& errors() const { return errors_; }

    std::map<std::string, Override>& overrides() { return overrides_; }

    /// The override naming exactly `path`, marked used; nullptr when none.
    Override* Take(const std::string& path) {
        auto it = overrides_.find(text::AsciiLower(path));
        if (it == overrides_.end()) {
            return nullptr;
        }
        it->second.used = true;
        return &it->second;
    }

    /// True when some override names a key below `path`.
    bool AnyBelow(const std::string& path) const {
        const auto prefix = text::AsciiLower(path) + ".";
        auto it = overrides_.lower_bound(prefix);
        return it != overrides_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
    }

    /// Marks every override below `path` as used (their parent had the wrong type, which is
    /// already reported).
    void ConsumeBelow(const std::string& path) {
        const auto prefix = text::AsciiLower(path) + ".";
        for (auto it = overrides_.lower_bound(prefix);
             it != overrides_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
            it->second.used = true;
        }
    }

    void SetOrigin(const std::string& path, const std::string& env_name) {
        origin_[path] = env_name;
    }

private:
    std::vector<std::string> errors_;
    std::map<std::string, Override> overrides_;
    std::map<std::string, std::string> origin_;  // key path -> env variable that set it
};

/// Reads the keys of one JSON object into config fields. Every key read is remembered;
/// Finish() reports the rest as unknown. Env overrides are applied to the JSON as each key is
/// read, because only then is the key's type known (string keys take the value verbatim,
/// others parse it as JSON).
class ObjReader {
public:
    ObjReader(Context& ctx, std::string path, json& node, bool present)
        : ctx_(ctx), path_(std::move(path)), node_(node), present_(present) {}

    bool present() const { return present_; }
    const std::string& path() const { return path_; }
    Context& ctx() { return ctx_; }
    json& node() { return node_; }

    std::string PathOf(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }
    void Error(std::string_view key, const std::string& message) { ctx_.Add(PathOf(key), message); }
    void MarkKnown(const std::string& key) { known_.insert(key); }

    /// The value of `key` (after any override) when present and of the right kind; nullptr
    /// otherwise (errors recorded). JSON null counts as absent.
    json* Get(const std::string& key, Kind kind, bool required) {
        known_.insert(key);
        const auto path = PathOf(key);
        if (Override* o = ctx_.Take(path)) {
            json v;
            if (kind == Kind::kString) {
                v = o->value;
            } else {
                v = json::parse(o->value, nullptr, false, true);
                if (v.is_discarded() || !IsKind(v, kind)) {
                    ctx_.AddRaw(o->env_name + ": expected " + KindName(kind));
                    return nullptr;
                }
            }
            node_[key] = std::move(v);
            ctx_.SetOrigin(path, o->env_name);
        }
        auto it = node_.find(key);
        if (it == node_.end() || it->is_null()) {
            if (required) {
                ctx_.Add(path, "required");
            }
            return nullptr;
        }
        if (!IsKind(*it, kind)) {
            ctx_.Add(path, std::string("expected ") + KindName(kind));
            return nullptr;
        }
        return &*it;
    }

    /// Reads a string; true when a value was read. Required strings must not be empty.
    bool Str(const std::string& key, std::string& out, bool required = false) {
        json* v = Get(key, Kind::kString, required);
        if (v == nullptr) {
            return false;
        }
        out = v->get<std::string>();
        if (required && out.empty()) {
            Error(key, "required (must not be empty)");
        }
        return true;
    }

    bool SecretStr(const std::string& key, Secret& out, bool required = false) {
        json* v = Get(key, Kind::kString, required);
        if (v == nullptr) {
            return false;
        }
        auto& s = v->get_ref<std::string&>();
        out = Secret(s);
        WipeString(s);
        if (required && out.empty()) {
            Error(key, "required (must not be empty)");
        }
        return true;
    }

    /// Reads a string that must be one of `allowed`.
    bool Enum(const std::string& key, std::string& out, std::initializer_list<const char*> allowed,
              bool required = false) {
        std::string v;
        if (!Str(key, v, required)) {
            return false;
        }
        for (const char* a : allowed) {
            if (v == a) {
                out = v;
                return true;
            }
        }
        if (v.empty() && required) {
            return false;  // already reported
        }
        std::string list;
        for (const char* a : allowed) {
            list += list.empty() ? "" : ", ";
            list += a;
        }
        Error(key, "must be one of " + list);
        return false;
    }

    template <class T>
    bool Int(const std::string& key, T& out, std::int64_t min, std::int64_t max,
             bool required = false) {
        json* v = Get(key, Kind::kInt, required);
        if (v == nullptr) {
            return false;
        }
        std::int64_t n = 0;
        if (v->is_number_unsigned()) {
            const auto u = v->get<std::uint64_t>();
            n = u > static_cast<std::uint64_t>(kNoMax) ? kNoMax : static_cast<std::int64_t>(u);
        } else {
            n = v->get<std::int64_t>();
        }
        if (n < min || n > max) {
            Error(key, max == kNoMax ? "must be at least " + std::to_string(min)
                                     : "must be between " + std::to_string(min) + " and " +
                                           std::to_string(max));
            return false;
        }
        out = static_cast<T>(n);
        return true;
    }

    bool Bool(const std::string& key, bool& out) {
        json* v = Get(key, Kind::kBool, false);
        if (v == nullptr) {
            return false;
        }
        out = v->get<bool>();
        return true;
    }

    bool StrList(const std::string& key, std::vector<std::string>& out) {
        json* v = Get(key, Kind::kArray, false);
        if (v == nullptr) {
            return false;
        }
        std::vector<std::string> items;
        bool ok = true;
        for (std::size_t i = 0; i < v->size(); ++i) {
            const auto& e = (*v)[i];
            if (!e.is_string()) {
                ctx_.Add(PathOf(key) + "[" + std::to_string(i) + "]", "expected string");
                ok = false;
                continue;
            }
            items.push_back(e.get<std::string>());
        }
        if (ok) {
            out = std::move(items);
        }
        return ok;
    }

    bool IntList(const std::string& key, std::vector<int>& out, int min, int max) {
        json* v = Get(key, Kind::kArray, false);
        if (v == nullptr) {
            return false;
        }
        std::vector<int> items;
        bool ok = true;
        for (std::size_t i = 0; i < v->size(); ++i) {
            const auto& e = (*v)[i];
            const auto item_path = PathOf(key) + "[" + std::to_string(i) + "]";
            if (!e.is_number_integer()) {
                ctx_.Add(item_path, "expected integer");
                ok = false;
                continue;
            }
            const std::int64_t n =
                e.is_number_unsigned()
                    ? (e.get<std::uint64_t>() > 1000 ? kNoMax : e.get<std::int64_t>())
                    : e.get<std::int64_t>();
            if (n < min || n > max) {
                ctx_.Add(item_path,
                         "must be between " + std::to_string(min) + " and " + std::to_string(max));
                ok = false;
                continue;
            }
            items.push_back(static_cast<int>(n));
        }
        if (ok) {
            out = std::move(items);
        }
        return ok;
    }

    /// The reader of a nested object. Absent objects read as empty (so their required keys are
    /// reported) with present() false, unless an override names a key below them: overrides
    /// may create a section. nullopt when the value is not an object (reported).
    std::optional<ObjReader> Child(const std::string& key) {
        known_.insert(key);
        const auto path = PathOf(key);
        if (Override* o = ctx_.Take(path)) {
            json v = json::parse(o->value, nullptr, false, true);
            if (v.is_discarded() || !v.is_object()) {
                ctx_.AddRaw(o->env_name + ": expected object");
            } else {
                node_[key] = std::move(v);
                ctx_.SetOrigin(path, o->env_name);
            }
        }
        auto it = node_.find(key);
        bool present = it != node_.end() && !it->is_null();
        if (present && !it->is_object()) {
            ctx_.Add(path, "expected object");
            ctx_.ConsumeBelow(path);
            return std::nullopt;
        }
        if (!present) {
            present = ctx_.AnyBelow(path);
            node_[key] = json::object();
            it = node_.find(key);
        }
        return ObjReader(ctx_, path, *it, present);
    }

    /// Reports every key that no reader asked for.
    void Finish() {
        for (auto it = node_.begin(); it != node_.end(); ++it) {
            if (known_.count(it.key()) == 0) {
                ctx_.Add(PathOf(it.key()), "unknown key");
            }
        }
    }

private:
    Context& ctx_;
    std::string path_;
    json& node_;
    bool present_;
    std::set<std::string> known_;
};

// --- value checks ----------------------------------------------------------------------------

bool IsHttpUrl(const std::string& s) {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (s.size() > scheme.size() && s.compare(0, scheme.size(), scheme) == 0) {
            return true;
        }
    }
    return false;
}

// Plain http is acceptable only in demo mode or to this very host (a relay on loopback):
// anything else would carry reset links or SMS codes across the network in clear.
bool PlainHttpAllowed(const std::string& url, bool demo) {
    if (demo || url.rfind("http://", 0) != 0) {
        return true;
    }
    std::string host = url.substr(7);
    host = host.substr(0, host.find_first_of("/?#"));
    if (host.rfind('[', 0) == 0) {
        host = host.substr(0, host.find(']') + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

std::string StripTrailingSlashes(std::string s) {
    while (!s.empty() && s.back() == '/') {
        s.pop_back();
    }
    return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsAsciiAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// "HH:MM" → minutes since midnight; -1 when malformed. "24:00" only when allow_24.
int ParseHhMm(const std::string& s, bool allow_24) {
    if (s.size() != 5 || !IsDigit(s[0]) || !IsDigit(s[1]) || s[2] != ':' || !IsDigit(s[3]) ||
        !IsDigit(s[4])) {
        return -1;
    }
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (allow_24 && h == 24 && m == 0) {
        return 24 * 60;
    }
    if (h > 23 || m > 59) {
        return -1;
    }
    return h * 60 + m;
}

bool IsDate(const std::string& s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
        return false;
    }
    for (std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
        if (!IsDigit(s[i])) {
            return false;
        }
    }
    const int y = std::stoi(s.substr(0, 4));
    const int mo = std::stoi(s.substr(5, 2));
    const int d = std::stoi(s.substr(8, 2));
    if (y < 1970 || mo < 1 || mo > 12 || d < 1) {
        return false;
    }
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    const int max_day = kDays[mo - 1] + (mo == 2 && leap ? 1 : 0);
    return d <= max_day;
}

bool IsUtcOffset(const std::string& s) {
    if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !IsDigit(s[1]) ||
        !IsDigit(s[2]) || !IsDigit(s[4]) || !IsDigit(s[5])) {
        return false;
    }
    const int h = (s[1] - '0') * 10 + (s[2] - '0');
    const int m = (s[4] - '0') * 10 + (s[5] - '0');
    return h <= 14 && m <= 59;
}

bool IsCategoryKey(const std::string& s) {
    if (s.empty() || s.size() > 32) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
    });
}

// --- sections ------------------------------------------------------------------------------

void ReadServer(ObjReader& r, ServerConfig& s) {
    if (r.Str("host", s.host) && s.host.empty()) {
        r.Error("host", "must not be empty");
    }
    r.Int("port", s.port, 0, 65535);  // 0: any free port (tests)
    r.Int("threads", s.threads, 1, 256);
    if (r.Str("public_url", s.public_url)) {
        if (!IsHttpUrl(s.public_url)) {
            r.Error("public_url", "must start with http:// or https://");
        }
        s.public_url = StripTrailingSlashes(s.public_url);
    }
    r.Int("max_body_bytes", s.max_body_bytes, 1, std::int64_t{1} << 30);
    r.Int("max_connections", s.max_connections, 1, 1'000'000);
    r.Int("keepalive_timeout_s", s.keepalive_timeout_s, 1, 3600);
    r.Int("request_timeout_s", s.request_timeout_s, 1, 600);
    r.Bool("demo", s.demo);
    if (!s.public_url.empty() && !PlainHttpAllowed(s.public_url, s.demo)) {
        r.Error("public_url", "must be https:// (plain http only with server.demo = true)");
    }
    r.Finish();
}

void ReadWecom(ObjReader& r, WecomConfig& w) {
    r.Str("corp_id", w.corp_id, true);
    r.Int("agent_id", w.agent_id, 0, std::numeric_limits<int>::max(), true);
    r.SecretStr("secret", w.secret, true);
    r.SecretStr("token", w.token, true);
    if (r.SecretStr("encoding_aes_key", w.encoding_aes_key, true) && !w.encoding_aes_key.empty()) {
        const auto& k = w.encoding_aes_key.Reveal();
        if (k.size() != 43 || !std::all_of(k.begin(), k.end(), IsAsciiAlnum)) {
            r.Error("encoding_aes_key", "must be exactly 43 characters from A-Z, a-z, 0-9");
        }
    }
    if (r.Str("api_base", w.api_base)) {
        if (!IsHttpUrl(w.api_base)) {
            r.Error("api_base", "must start with http:// or https://");
        }
        w.api_base = StripTrailingSlashes(w.api_base);
    }
    if (r.Str("callback_path", w.callback_path) &&
        (w.callback_path.empty() || w.callback_path[0] != '/')) {
        r.Error("callback_path", "must start with \"/\"");
    }
    r.Int("max_clock_skew_s", w.max_clock_skew_s, 0, kNoMax);
    r.Finish();
}

void ReadDatabase(ObjReader& r, DatabaseConfig& d) {
    r.Str("path", d.path, true);
    r.Finish();
}

void ReadLog(ObjReader& r, LogConfig& l) {
    r.Enum("level", l.level, {"trace", "debug", "info", "warn", "error", "critical", "off"});
    r.Enum("format", l.format, {"text", "json"});
    r.Str("file", l.file);
    r.Finish();
}

void ReadCategories(ObjReader& r, std::vector<Category>& out) {
    json* arr = r.Get("categories", Kind::kArray, false);
    if (arr == nullptr) {
        return;
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const auto path = r.PathOf("categories") + "[" + std::to_string(i) + "]";
        json& e = (*arr)[i];
        if (!e.is_object()) {
            r.ctx().Add(path, "expected object");
            continue;
        }
        ObjReader c(r.ctx(), path, e, true);
        Category cat;
        if (c.Str("key", cat.key, true) && !cat.key.empty()) {
            if (!IsCategoryKey(cat.key)) {
                c.Error("key", "must be 1-32 characters from a-z, 0-9, _ and -");
            } else if (!seen.insert(cat.key).second) {
                c.Error("key", "duplicate category key \"" + cat.key + "\"");
            }
        }
        c.Str("name", cat.name, true);
        c.Finish();
        out.push_back(std::move(cat));
    }
}

void ReadGroups(ObjReader& r, std::vector<Group>& out, const std::vector<Category>& categories) {
    json* arr = r.Get("groups", Kind::kArray, false);
    if (arr == nullptr) {
        return;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const auto path = r.PathOf("groups") + "[" + std::to_string(i) + "]";
        json& e = (*arr)[i];
        if (!e.is_object()) {
            r.ctx().Add(path, "expected object");
            continue;
        }
        ObjReader g(r.ctx(), path, e, true);
        Group group;
        if (g.Str("name", group.name, true) && !group.name.empty() &&
            !names.insert(group.name).second) {
            g.Error("name", "duplicate group name");
        }
        if (g.StrList("categories", group.categories)) {
            for (const auto& key : group.categories) {
                const bool known = std::any_of(categories.begin(), categories.end(),
                                               [&](const Category& c) { return c.key == key; });
                if (!known) {
                    g.Error("categories", "unknown category \"" + key + "\"");
                }
            }
        }
        g.Finish();
        out.push_back(std::move(group));
    }
}

void ReadSla(ObjReader& tickets, std::map<std::string, SlaTarget>& sla) {
    sla = {{"P1", {30, 240}}, {"P2", {60, 480}}, {"P3", {240, 1440}}};
    auto r = tickets.Child("sla");
    if (!r) {
        return;
    }
    constexpr std::int64_t kYearMin = 366LL * 24 * 60;
    for (const char* p : kPriorities) {
        auto t = r->Child(p);
        if (!t) {
            continue;
        }
        SlaTarget& target = sla[p];
        t->Int("response_min", target.response_min, 1, kYearMin);
        t->Int("resolve_min", target.resolve_min, 1, kYearMin);
        if (target.response_min > target.resolve_min) {
            t->Error("response_min", "must not exceed resolve_min");
        }
        t->Finish();
    }
    r->Finish();
}

void ReadBusinessHours(ObjReader& tickets, BusinessHours& b) {
    auto r = tickets.Child("business_hours");
    if (!r) {
        return;
    }
    if (r->IntList("days", b.days, 1, 7)) {
        std::sort(b.days.begin(), b.days.end());
        b.days.erase(std::unique(b.days.begin(), b.days.end()), b.days.end());
        if (b.days.empty()) {
            r->Error("days", "must list at least one day");
        }
    }
    r->Str("start", b.start);
    r->Str("end", b.end);
    const int start = ParseHhMm(b.start, false);
    const int end = ParseHhMm(b.end, true);
    if (start < 0) {
        r->Error("start", "must be a time HH:MM");
    }
    if (end < 0) {
        r->Error("end", "must be a time HH:MM");
    }
    if (start >= 0 && end >= 0 && start >= end) {
        r->Error("end", "must be later than start");
    }
    if (r->StrList("holidays", b.holidays)) {
        for (std::size_t i = 0; i < b.holidays.size(); ++i) {
            if (!IsDate(b.holidays[i])) {
                r->ctx().Add(r->PathOf("holidays") + "[" + std::to_string(i) + "]",
                             "must be a date YYYY-MM-DD");
            }
        }
    }
    if (r->Str("utc_offset", b.utc_offset) && !IsUtcOffset(b.utc_offset)) {
        r->Error("utc_offset", "must be +HH:MM or -HH:MM");
    }
    r->Finish();
}

/// sla_clock is a string for all priorities or an object per priority. Overrides may set the
/// whole value (JSON object text or a plain word) or one priority
/// (WEDESK__TICKETS__SLA_CLOCK__P1); setting one priority expands a string to an object first.
void ReadSlaClock(ObjReader& tickets, std::map<std::string, std::string>& out) {
    static const std::initializer_list<const char*> kClocks = {"business", "calendar"};
    for (const char* p : kPriorities) {
        out[p] = "business";
    }
    const std::string key = "sla_clock";
    const auto path = tickets.PathOf(key);
    Context& ctx = tickets.ctx();
    json& node = tickets.node();
    tickets.MarkKnown(key);
    if (Override* o = ctx.Take(path)) {
        const auto value = text::Trim(o->value);
        if (!value.empty() && value[0] == '{') {
            json v = json::parse(value, nullptr, false, true);
            if (v.is_discarded() || !v.is_object()) {
                ctx.AddRaw(o->env_name + ": expected string or object");
            } else {
                node[key] = std::move(v);
            }
        } else {
            node[key] = value;
        }
        ctx.SetOrigin(path, o->env_name);
    }
    auto it = node.find(key);
    const bool absent = it == node.end() || it->is_null();
    if (ctx.AnyBelow(path)) {
        if (absent) {
            node[key] = json::object();
        } else if (it->is_string()) {
            const auto s = it->get<std::string>();
            node[key] = json{{"P1", s}, {"P2", s}, {"P3", s}};
        }
        it = node.find(key);
    } else if (absent) {
        return;
    }
    if (it->is_string()) {
        std::string v;
        if (tickets.Enum(key, v, kClocks)) {
            for (const char* p : kPriorities) {
                out[p] = v;
            }
        }
        return;
    }
    if (!it->is_object()) {
        ctx.Add(path, "expected string or object");
        ctx.ConsumeBelow(path);
        return;
    }
    ObjReader r(ctx, path, *it, true);
    for (const char* p : kPriorities) {
        r.Enum(p, out[p], kClocks);
    }
    r.Finish();
}

void ReadTickets(ObjReader& r, TicketsConfig& t) {
    ReadCategories(r, t.categories);
    if (t.categories.empty()) {
        t.categories = DefaultCategories();
    }
    ReadGroups(r, t.groups, t.categories);
    ReadSla(r, t.sla);
    ReadBusinessHours(r, t.business_hours);
    ReadSlaClock(r, t.sla_clock);
    r.Int("accept_timeout_min", t.accept_timeout_min, 1, 7 * 24 * 60);
    r.Int("auto_close_days", t.auto_close_days, 1, 365);
    r.Int("dialog_timeout_min", t.dialog_timeout_min, 1, 24 * 60);
    if (auto a = r.Child("attachments")) {
        a->Str("dir", t.attachments.dir);
        a->Int("max_mb", t.attachments.max_mb, 1, 200);
        a->Int("retention_days", t.attachments.retention_days, 0, 36500);
        a->Finish();
    }
    r.Finish();
}

void RequireFor(ObjReader& r, const std::string& key, bool missing, const std::string& why) {
    if (missing) {
        r.Error(key, "required " + why);
    }
}

void ReadSms(ObjReader& r, SmsConfig& s, bool demo) {
    const bool has_provider =
        r.Enum("provider", s.provider, {"console", "webhook", "tencent", "aliyun"}, true);
    r.Int("timeout_s", s.timeout_s, 1, 4);
    if (auto w = r.Child("webhook")) {
        w->Str("url", s.webhook.url);
        w->SecretStr("secret", s.webhook.secret);
        if (s.provider == "webhook") {
            RequireFor(*w, "url", s.webhook.url.empty(), "for provider webhook");
            RequireFor(*w, "secret", s.webhook.secret.empty(), "for provider webhook");
            if (!s.webhook.url.empty() && !IsHttpUrl(s.webhook.url)) {
                w->Error("url", "must start with http:// or https://");
            } else if (!PlainHttpAllowed(s.webhook.url, demo)) {
                w->Error("url",
                         "must be https:// (plain http only to 127.0.0.1 or with "
                         "server.demo = true): the request carries the code");
            }
        }
        w->Finish();
    }
    if (auto t = r.Child("tencent")) {
        auto& c = s.tencent;
        t->Str("endpoint", c.endpoint);
        t->Str("region", c.region);
        t->Str("secret_id", c.secret_id);
        t->SecretStr("secret_key", c.secret_key);
        t->Str("sdk_app_id", c.sdk_app_id);
        t->Str("sign_name", c.sign_name);
        t->Str("template_id", c.template_id);
        if (s.provider == "tencent") {
            const std::string why = "for provider tencent";
            if (!IsHttpUrl(c.endpoint)) {
                t->Error("endpoint", "must start with http:// or https://");
            }
            RequireFor(*t, "region", c.region.empty(), why);
            RequireFor(*t, "secret_id", c.secret_id.empty(), why);
            RequireFor(*t, "secret_key", c.secret_key.empty(), why);
            RequireFor(*t, "sdk_app_id", c.sdk_app_id.empty(), why);
            RequireFor(*t, "sign_name", c.sign_name.empty(), why);
            RequireFor(*t, "template_id", c.template_id.empty(), why);
        }
        t->Finish();
    }
    if (auto a = r.Child("aliyun")) {
        auto& c = s.aliyun;
        a->Str("endpoint", c.endpoint);
        a->Str("access_key_id", c.access_key_id);
        a->SecretStr("access_key_secret", c.access_key_secret);
        a->Str("sign_name", c.sign_name);
        a->Str("template_code", c.template_code);
        if (s.provider == "aliyun") {
            const std::string why = "for provider aliyun";
            if (!IsHttpUrl(c.endpoint)) {
                a->Error("endpoint", "must start with http:// or https://");
            }
            RequireFor(*a, "access_key_id", c.access_key_id.empty(), why);
            RequireFor(*a, "access_key_secret", c.access_key_secret.empty(), why);
            RequireFor(*a, "sign_name", c.sign_name.empty(), why);
            RequireFor(*a, "template_code", c.template_code.empty(), why);
        }
        a->Finish();
    }
    if (has_provider && s.provider == "console" && !demo) {
        r.Error("provider",
                "\"console\" prints codes to the log and needs demo mode (server.demo = true)");
    }
    r.Finish();
}

void ReadDirectory(ObjReader& r, DirectoryConfig& d, bool demo) {
    const bool has_kind = r.Enum("kind", d.kind, {"local", "ldap"}, true);
    if (auto l = r.Child("ldap")) {
        auto& c = d.ldap;
        l->Str("uri", c.uri);
        l->Enum("flavor", c.flavor, {"openldap", "ad"});
        l->Str("bind_dn", c.bind_dn);
        l->SecretStr("bind_password", c.bind_password);
        l->Str("base_dn", c.base_dn);
        const bool has_filter = l->Str("user_filter", c.user_filter);
        if (!has_filter && c.flavor == "ad") {
            c.user_filter = "(sAMAccountName={account})";
        }
        if (c.user_filter.find("{account}") == std::string::npos) {
            l->Error("user_filter", "must contain {account}");
        }
        if (l->Str("mobile_attr", c.mobile_attr) && c.mobile_attr.empty()) {
            l->Error("mobile_attr", "must not be empty");
        }
        l->Bool("starttls", c.starttls);
        l->Str("ca_file", c.ca_file);
        l->StrList("protected_groups", c.protected_groups);
        l->Int("timeout_s", c.timeout_s, 1, 300);
        if (d.kind == "ldap") {
            const std::string why = "for directory kind ldap";
            RequireFor(*l, "uri", c.uri.empty(), why);
            RequireFor(*l, "base_dn", c.base_dn.empty(), why);
            RequireFor(*l, "bind_dn", c.bind_dn.empty(), why);
            RequireFor(*l, "bind_password", c.bind_password.empty(), why);
            // OpenLDAP has no notion of a privileged account: without protected groups every
            // administrator could reset by chat. (AD: the built-in privileged groups and
            // adminCount are always protected; protected_groups adds to them.)
            RequireFor(*l, "protected_groups", c.flavor == "openldap" && c.protected_groups.empty(),
                       "for flavor openldap (the groups whose members never reset by chat, "
                       "e.g. [\"cn=it-admins,ou=groups,dc=example,dc=com\"])");
            const auto uri = text::AsciiLower(c.uri);
            if (uri.rfind("ldaps://", 0) == 0) {
                if (c.starttls) {
                    l->Error("starttls", "must be false with an ldaps:// uri (already TLS)");
                }
            } else if (uri.rfind("ldap://", 0) == 0) {
                if (!c.starttls) {
                    l->Error("uri",
                             "ldap:// sends passwords in clear: use ldaps:// or set starttls = "
                             "true");
                }
            } else if (!c.uri.empty()) {
                l->Error("uri", "must start with ldaps:// or ldap:// (with starttls)");
            }
        }
        l->Finish();
    }
    if (has_kind && d.kind == "local" && !demo) {
        r.Error("kind", "\"local\" is a demo directory and needs demo mode (server.demo = true)");
    }
    r.Finish();
}

void ReadReset(ObjReader& r, ResetConfig& c) {
    r.Enum("mode", c.mode, {"link", "temp_password"});
    r.Int("min_reset_interval_min", c.min_reset_interval_min, 0, 7 * 24 * 60);
    r.Int("code_ttl_s", c.code_ttl_s, 30, 3600);
    r.Int("max_attempts", c.max_attempts, 1, 20);
    r.Int("resend_cooldown_s", c.resend_cooldown_s, 0, 3600);
    r.Int("max_sends_per_hour", c.max_sends_per_hour, 1, 100);
    r.Int("max_sends_per_day", c.max_sends_per_day, 1, 1000);
    r.Int("link_ttl_s", c.link_ttl_s, 60, 24 * 3600);
    r.Int("min_length", c.min_length, 8, 128);
    r.Int("lock_min", c.lock_min, 1, 24 * 60);
    r.Int("max_wrong_codes_per_day", c.max_wrong_codes_per_day, 1, 100);
    r.Int("sms_budget_per_hour", c.sms_budget_per_hour, 1, 100000);
    r.Int("sms_budget_per_day", c.sms_budget_per_day, 1, 1000000);
    r.Bool("allow_imported_mobile", c.allow_imported_mobile);
    if (c.max_sends_per_hour > c.max_sends_per_day) {
        r.Error("max_sends_per_hour", "must not exceed max_sends_per_day");
    }
    if (c.sms_budget_per_hour > c.sms_budget_per_day) {
        r.Error("sms_budget_per_hour", "must not exceed sms_budget_per_day");
    }
    r.Finish();
}

/// Where a JSON syntax error is, without echoing any of the text (it may hold secrets).
struct ErrorPositionSax {
    std::size_t position = 0;
    bool null() { return true; }
    bool boolean(bool /*unused*/) { return true; }
    bool number_integer(json::number_integer_t /*unused*/) { return true; }
    bool number_unsigned(json::number_unsigned_t /*unused*/) { return true; }
    bool number_float(json::number_float_t /*unused*/, const std::string& /*unused*/) {
        return true;
    }
    bool string(std::string& /*unused*/) { return true; }
    bool binary(json::binary_t& /*unused*/) { return true; }
    bool start_object(std::size_t /*unused*/) { return true; }
    bool key(std::string& /*unused*/) { return true; }
    bool end_object() { return true; }
    bool start_array(std::size_t /*unused*/) { return true; }
    bool end_array() { return true; }
    bool parse_error(std::size_t pos, const std::string& /*unused*/,
                     const nlohmann::detail::exception& /*unused*/) {
        position = pos;
        return false;
    }
};

std::string SyntaxErrorMessage(const std::string& text) {
    ErrorPositionSax sax;
    (void)json::sax_parse(text, &sax, json::input_format_t::json, true, true);
    const auto upto = std::min(sax.position, text.size());
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < upto; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    const std::size_t column = upto > line_start ? upto - line_start : 1;
    return "config: not valid JSON (line " + std::to_string(line) + ", column " +
           std::to_string(column) + ")";
}

/// Collects WEDESK__A__B=value entries. Malformed names are errors.
void CollectOverrides(Context& ctx, const std::vector<std::string>& env) {
    for (const auto& entry : env) {
        if (entry.compare(0, kEnvPrefix.size(), kEnvPrefix) != 0) {
            continue;
        }
        const auto eq = entry.find('=');
        const std::string name = entry.substr(0, eq);
        const std::string value = eq == std::string::npos ? "" : entry.substr(eq + 1);
        std::string path;
        bool ok = true;
        std::size_t pos = kEnvPrefix.size();
        while (true) {
            const auto next = name.find("__", pos);
            const auto segment = name.substr(pos, next == std::string::npos ? next : next - pos);
            if (segment.empty()) {
                ok = false;
                break;
            }
            if (!path.empty()) {
                path += '.';
            }
            path += text::AsciiLower(segment);
            if (next == std::string::npos) {
                break;
            }
            pos = next + 2;
        }
        if (!ok) {
            ctx.AddRaw(name + ": malformed name (expected WEDESK__SECTION__KEY)");
            continue;
        }
        ctx.overrides()[path] = Override{name, value, false};
    }
}

}  // namespace

std::vector<Category> DefaultCategories() {
    return {{"pc", "电脑/笔记本"}, {"network", "网络/VPN"},  {"email", "邮箱/Outlook"},
            {"printer", "打印机"}, {"account", "账号/权限"}, {"software", "软件安装"},
            {"other", "其他"}};
}

Result<Config> Parse(const std::string& text, const std::vector<std::string>& env) {
    json doc = json::parse(text, nullptr, false, /*ignore_comments=*/true);
    if (doc.is_discarded()) {
        return Fail(Errc::kConfig, SyntaxErrorMessage(text));
    }
    if (!doc.is_object()) {
        return Fail(Errc::kConfig, "config: the top level must be an object");
    }
    Context ctx;
    CollectOverrides(ctx, env);

    Config cfg;
    ObjReader root(ctx, "", doc, true);
    if (auto r = root.Child("server")) {
        ReadServer(*r, cfg.server);
    }
    if (auto r = root.Child("wecom")) {
        ReadWecom(*r, cfg.wecom);
    }
    if (auto r = root.Child("database")) {
        ReadDatabase(*r, cfg.database);
    }
    if (auto r = root.Child("log")) {
        ReadLog(*r, cfg.log);
    }
    if (auto r = root.Child("tickets")) {
        ReadTickets(*r, cfg.tickets);
    } else {
        cfg.tickets.categories = DefaultCategories();
    }
    if (auto r = root.Child("sms"); r && r->present()) {
        cfg.sms.emplace();
        ReadSms(*r, *cfg.sms, cfg.server.demo);
    }
    if (auto r = root.Child("directory"); r && r->present()) {
        cfg.directory.emplace();
        ReadDirectory(*r, *cfg.directory, cfg.server.demo);
    }
    if (auto r = root.Child("reset")) {
        ReadReset(*r, cfg.reset);
    }
    root.Finish();
    if (cfg.tickets.attachments.dir.empty()) {
        const auto parent = std::filesystem::path(cfg.database.path).parent_path();
        cfg.tickets.attachments.dir =
            (parent.empty() ? std::filesystem::path(".") : parent) / "attachments";
    }

    for (const auto& [path, o] : ctx.overrides()) {
        if (!o.used) {
            ctx.AddRaw(o.env_name + ": unknown key " + path);
        }
    }
    if (ctx.HasErrors()) {
        std::string message;
        for (const auto& e : ctx.errors()) {
            message += message.empty() ? "" : "; ";
            message += e;
        }
        return Fail(Errc::kConfig, message);
    }
    return cfg;
}

Result<Config> Load(const std::string& path) {
    std::error_code ec;
    std::ifstream in(path, std::ios::binary);
    if (!std::filesystem::is_regular_file(path, ec) || !in) {
        return Fail(Errc::kConfig, "config: cannot read " + path);
    }
    std::stringstream buf;
    buf << in.rdbuf();
    if (in.bad()) {
        return Fail(Errc::kConfig, "config: cannot read " + path);
    }
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        env.emplace_back(*e);
    }
    auto cfg = Parse(buf.str(), env);
    if (!cfg.ok()) {
        return Fail(Errc::kConfig, path + ": " + cfg.error().message);
    }
    cfg->source_path = path;
    return cfg;
}

}  // namespace wedesk::config
