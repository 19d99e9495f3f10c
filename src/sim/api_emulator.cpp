#include "wedesk/sim/api_emulator.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <string_view>
#include <utility>

#include "wedesk/common/log.hpp"
#include "wedesk/common/text.hpp"

namespace wedesk::sim {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxContentBytes = 2048;
constexpr std::int64_t kDefaultDuplicateInterval = 1800;
constexpr std::int64_t kMaxDuplicateInterval = 4 * 3600;
constexpr std::size_t kMaxTaskIdBytes = 128;
constexpr std::size_t kMaxButtons = 6;
constexpr std::size_t kMaxKeyBytes = 1024;
constexpr std::size_t kMaxOptions = 10;
constexpr std::size_t kMaxOptionIdBytes = 128;

const json& Field(const json& j, const char* key) {
    static const json kNull;
    if (j.is_object()) {
        auto it = j.find(key);
        if (it != j.end()) {
            return *it;
        }
    }
    return kNull;
}

std::string Str(const json& j, const char* key) {
    const auto& v = Field(j, key);
    return v.is_string() ? v.get<std::string>() : std::string();
}

json Err(int errcode, const std::string& errmsg) {
    return {{"errcode", errcode}, {"errmsg", errmsg}};
}

bool IsMediaType(const std::string& t) {
    return t == "image" || t == "voice" || t == "video" || t == "file";
}

/// WECOM_API.md §4: the upload limit of each media type.
std::size_t MediaLimit(const std::string& t) {
    constexpr std::size_t kMiB = 1024 * 1024;
    if (t == "voice") {
        return 2 * kMiB;
    }
    return t == "file" ? 20 * kMiB : 10 * kMiB;
}

std::vector<std::string> SplitUsers(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find('|', start);
        if (end == std::string::npos) {
            end = s.size();
        }
        if (end > start) {
            out.push_back(s.substr(start, end - start));
        }
        start = end + 1;
    }
    return out;
}

bool ValidTaskId(const std::string& id) {
    if (id.empty() || id.size() > kMaxTaskIdBytes) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '_' || c == '-' || c == '@';
    });
}

/// Checks a template_card object; returns an error reply or null. Sets `interactive`.
json CheckCard(const json& card, bool* interactive) {
    if (!card.is_object()) {
        return Err(40058, "invalid template_card");
    }
    const auto type = Str(card, "card_type");
    if (type == "text_notice" || type == "news_notice") {
        if (!Field(card, "card_action").is_object()) {
            return Err(42045, "template_card.card_action missing");
        }
        *interactive = Field(card, "action_menu").is_object();
        return nullptr;
    }
    if (type != "button_interaction" && type != "vote_interaction" &&
        type != "multiple_interaction") {
        return Err(40058, "invalid template_card.card_type");
    }
    *interactive = true;
    if (!ValidTaskId(Str(card, "task_id"))) {
        return Err(40058, "invalid template_card.task_id");
    }
    if (Str(Field(card, "main_title"), "title").empty()) {
        return Err(40058, "template_card.main_title.title missing");
    }
    if (type != "button_interaction") {
        return nullptr;
    }
    const auto& buttons = Field(card, "button_list");
    if (!buttons.is_array() || buttons.empty() || buttons.size() > kMaxButtons) {
        return Err(40058, "template_card.button_list must have 1..6 buttons");
    }
    if (const auto& sel = Field(card, "button_selection"); !sel.is_null()) {
        const auto& options = Field(sel, "option_list");
        if (Str(sel, "question_key").empty() || !options.is_array() || options.empty() ||
            options.size() > kMaxOptions) {
            return Err(40058, "button_selection needs a question_key and 1..10 options");
        }
        std::set<std::string> ids;
        for (const auto& o : options) {
            const auto id = Str(o, "id");
            if (id.empty() || id.size() > kMaxOptionIdBytes || Str(o, "text").empty() ||
                !ids.insert(id).second) {
                return Err(40058, "option needs a unique id of at most 128 bytes and a text");
            }
        }
        const auto chosen = Str(sel, "selected_id");
        if (!chosen.empty() && ids.count(chosen) == 0) {
            return Err(40058, "selected_id is not an option");
        }
    }
    for (const auto& b : buttons) {
        if (!b.is_object() || Str(b, "text").empty()) {
            return Err(40058, "button needs text");
        }
        const auto& type_field = Field(b, "type");
        const int btype = type_field.is_number_integer() ? type_field.get<int>() : 0;
        if (btype == 0) {
            const auto key = Str(b, "key");
            if (key.empty() || key.size() > kMaxKeyBytes) {
                return Err(40058, "callback button needs a key of at most 1024 bytes");
            }
        } else if (btype == 1) {
            if (Str(b, "url").empty()) {
                return Err(40058, "url button needs a url");
            }
        } else {
            return Err(40058, "invalid button type");
        }
        const auto& style = Field(b, "style");
        if (!style.is_null() &&
            (!style.is_number_integer() || style.get<int>() < 1 || style.get<int>() > 4)) {
            return Err(40058, "invalid button style");
        }
    }
    return nullptr;
}

bool Addressed(const std::string& touser, const std::string& user) {
    const auto want = text::AsciiLower(user);
    for (const auto& u : SplitUsers(touser)) {
        if (u == "@all" || text::AsciiLower(u) == want) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string DescribeMessage(const std::string& msgtype, const json& body,
                            const std::string& media_name) {
    if (msgtype == "text" || msgtype == "markdown") {
        return Str(Field(body, msgtype.c_str()), "content");
    }
    if (IsMediaType(msgtype)) {
        return "[" + msgtype + "] " +
               (media_name.empty() ? Str(Field(body, msgtype.c_str()), "media_id") : media_name);
    }
    if (msgtype == "template_card") {
        const auto& card = Field(body, "template_card");
        std::string out = "[card] " + Str(Field(card, "main_title"), "title");
        const auto desc = Str(Field(card, "main_title"), "desc");
        if (!desc.empty()) {
            out += " — " + desc;
        }
        const auto sub = Str(card, "sub_title_text");
        if (!sub.empty()) {
            out += "\n  " + sub;
        }
        const auto& fields = Field(card, "horizontal_content_list");
        if (fields.is_array()) {
            for (const auto& f : fields) {
                out += "\n  " + Str(f, "keyname") + ": " + Str(f, "value");
            }
        }
        const auto& sel = Field(card, "button_selection");
        if (const auto& options = Field(sel, "option_list"); options.is_array()) {
            out += "\n  " + Str(sel, "title") + "（" + Str(sel, "question_key") + "）:";
            for (const auto& o : options) {
                out += "\n    (" +
                       std::string(Str(o, "id") == Str(sel, "selected_id") ? "*" : " ") + ") " +
                       Str(o, "id") + " " + Str(o, "text");
            }
        }
        const auto& buttons = Field(card, "button_list");
        if (buttons.is_array()) {
            for (const auto& b : buttons) {
                const auto key = Str(b, "key");
                out += "\n  [" + Str(b, "text") + "] " + (key.empty() ? Str(b, "url") : key);
            }
        }
        return out;
    }
    if (msgtype == "update_template_card") {
        const auto replace = Str(Field(body, "button"), "replace_name");
        if (!replace.empty()) {
            return "card updated: " + replace;
        }
        return "card replaced: " + Str(Field(Field(body, "template_card"), "main_title"), "title");
    }
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

ApiEmulator::ApiEmulator(std::string corp_id, std::string corp_secret, int agent_id)
    : corp_id_(std::move(corp_id)), corp_secret_(std::move(corp_secret)), agent_id_(agent_id) {}

ApiEmulator::~ApiEmulator() { Stop(); }

void ApiEmulator::SetOnMessage(std::function<void(const ReceivedMessage&)> fn) {
    std::lock_guard lock(mu_);
    on_message_ = std::move(fn);
}

std::vector<ReceivedMessage> ApiEmulator::Received() const {
    std::lock_guard lock(mu_);
    return received_;
}

std::vector<ReceivedMessage> ApiEmulator::Updates() const {
    std::lock_guard lock(mu_);
    return updates_;
}

std::size_t ApiEmulator::GettokenCalls() const {
    std::lock_guard lock(mu_);
    return gettoken_calls_;
}

std::size_t ApiEmulator::DuplicatesDropped() const {
    std::lock_guard lock(mu_);
    return duplicates_dropped_;
}

std::size_t ApiEmulator::SendAttempts() const {
    std::lock_guard lock(mu_);
    return send_attempts_;
}

std::string ApiEmulator::AddMedia(const EmulatedMedia& media) {
    std::lock_guard lock(mu_);
    std::string id = "emu-media-" + std::to_string(next_id_++);
    media_[id] = media;
    return id;
}

std::optional<EmulatedMedia> ApiEmulator::MediaOf(const std::string& media_id) const {
    std::lock_guard lock(mu_);
    auto it = media_.find(media_id);
    if (it == media_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void ApiEmulator::ExpireMedia(const std::string& media_id) {
    std::lock_guard lock(mu_);
    media_.erase(media_id);
}

std::size_t ApiEmulator::MediaGets() const {
    std::lock_guard lock(mu_);
    return media_gets_;
}

json ApiEmulator::HandleUpload(const httplib::Request& req) {
    std::lock_guard lock(mu_);
    if (auto e = CheckToken(req.get_param_value("access_token")); !e.is_null()) {
        return e;
    }
    const auto type = req.get_param_value("type");
    if (!IsMediaType(type)) {
        return Err(40005, "invalid file type");
    }
    if (!req.has_file("media")) {
        return Err(44001, "empty media data");
    }
    const auto part = req.get_file_value("media");
    if (part.content.empty()) {
        return Err(44001, "empty media data");
    }
    if (part.content.size() <= 5) {
        return Err(40006, "invalid file size");
    }
    if (part.content.size() > MediaLimit(type)) {
        return Err(45001, "api forbidden for too large media");
    }
    std::string id = "emu-media-" + std::to_string(next_id_++);
    media_[id] = EmulatedMedia{type, part.filename, part.content_type, part.content};
    return {{"errcode", 0},
            {"errmsg", ""},
            {"type", type},
            {"media_id", id},
            {"created_at", std::to_string(std::time(nullptr))}};
}

void ApiEmulator::FailNext(int n, int errcode) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
    fail_errcode_ = errcode;
}

void ApiEmulator::SetDown(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
}

void ApiEmulator::SetDelay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    delay_ = delay;
}

void ApiEmulator::ExpireToken() {
    std::lock_guard lock(mu_);
    if (!token_.empty()) {
        expired_tokens_.insert(token_);
        token_.clear();
    }
}

void ApiEmulator::AddInvalidUser(const std::string& userid) {
    std::lock_guard lock(mu_);
    invalid_users_.insert(text::AsciiLower(userid));
}

bool ApiEmulator::WaitForMessages(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
}

bool ApiEmulator::WaitForUpdates(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return updates_.size() >= n; });
}

std::string ApiEmulator::BaseUrl() const { return "http://" + host_ + ":" + std::to_string(port_); }

bool ApiEmulator::Delay() {
    std::unique_lock lock(mu_);
    if (delay_.count() > 0) {
        cv_.wait_for(lock, delay_, [&] { return stopping_; });
    }
    return !stopping_;
}

json ApiEmulator::CheckToken(const std::string& token) {
    // Called with mu_ held.
    if (token.empty()) {
        return Err(41001, "access_token missing");
    }
    if (expired_tokens_.count(token) != 0) {
        return Err(42001, "access_token expired");
    }
    if (token != token_) {
        return Err(40014, "invalid access_token");
    }
    return nullptr;
}

json ApiEmulator::HandleSend(const std::string& token, const std::string& raw,
                             ReceivedMessage* accepted) {
    std::lock_guard lock(mu_);
    ++send_attempts_;
    if (auto e = CheckToken(token); !e.is_null()) {
        return e;
    }
    if (fail_next_ > 0) {
        --fail_next_;
        return Err(fail_errcode_, "injected failure");
    }
    auto body = json::parse(raw, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        return Err(47001, "data format error");
    }
    const auto& agentid = Field(body, "agentid");
    if (!agentid.is_number_integer() || (agent_id_ != 0 && agentid.get<int>() != agent_id_)) {
        return Err(40056, "invalid agentid");
    }
    const auto touser = Str(body, "touser");
    std::vector<std::string> invalid;
    std::size_t valid = 0;
    for (const auto& u : SplitUsers(touser)) {
        if (u != "@all" && invalid_users_.count(text::AsciiLower(u)) != 0) {
            invalid.push_back(u);
        } else {
            ++valid;
        }
    }
    if (valid == 0) {
        return Err(81013, "user & party & tag all invalid");
    }
    const auto msgtype = Str(body, "msgtype");
    bool interactive = false;
    std::string media_name;
    if (msgtype == "text" || msgtype == "markdown") {
        const auto content = Str(Field(body, msgtype.c_str()), "content");
        if (content.empty()) {
            return Err(44004, "empty content");
        }
        if (content.size() > kMaxContentBytes) {
            return Err(45002, "content size out of limit");
        }
    } else if (msgtype == "template_card") {
        if (auto e = CheckCard(Field(body, "template_card"), &interactive); !e.is_null()) {
            return e;
        }
    } else if (IsMediaType(msgtype)) {
        auto it = media_.find(Str(Field(body, msgtype.c_str()), "media_id"));
        if (it == media_.end()) {
            return Err(40007, "invalid media_id");
        }
        media_name = it->second.file_name;
    } else {
        return Err(40008, "invalid message type");
    }

    // Server-side duplicate check over the body without the two duplicate-check fields.
    json canonical = body;
    canonical.erase("enable_duplicate_check");
    canonical.erase("duplicate_check_interval");
    const auto key = canonical.dump(-1, ' ', false, json::error_handler_t::replace);
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(recent_, [&](const auto& kv) {
        return now - kv.second.at > std::chrono::seconds(kMaxDuplicateInterval);
    });
    const auto& flag = Field(body, "enable_duplicate_check");
    if (flag.is_number_integer() && flag.get<int>() == 1) {
        const auto& iv = Field(body, "duplicate_check_interval");
        const std::int64_t interval =
            iv.is_number_integer()
                ? std::clamp<std::int64_t>(iv.get<std::int64_t>(), 0, kMaxDuplicateInterval)
                : kDefaultDuplicateInterval;
        auto it = recent_.find(key);
        if (it != recent_.end() && now - it->second.at <= std::chrono::seconds(interval)) {
            ++duplicates_dropped_;
            json reply = {
                {"errcode", 0}, {"errmsg", "ok"}, {"invaliduser", ""}, {"msgid", it->second.msgid}};
            if (!it->second.response_code.empty()) {
                reply["response_code"] = it->second.response_code;
            }
            return reply;
        }
    }

    ReceivedMessage m;
    m.seq = ++seq_;
    m.touser = touser;
    m.msgtype = msgtype;
    m.msgid = "emu-msg-" + std::to_string(next_id_++);
    m.media_name = media_name;
    if (interactive) {
        m.response_code = "emu-rc-" + std::to_string(next_id_++);
        response_codes_.insert(m.response_code);
    }
    m.body = std::move(body);
    recent_[key] = Delivered{now, m.msgid, m.response_code};
    received_.push_back(m);
    *accepted = m;

    std::string invaliduser;
    for (const auto& u : invalid) {
        invaliduser += (invaliduser.empty() ? "" : "|") + u;
    }
    json reply = {
        {"errcode", 0}, {"errmsg", "ok"}, {"invaliduser", invaliduser}, {"msgid", m.msgid}};
    if (!m.response_code.empty()) {
        reply["response_code"] = m.response_code;
    }
    return reply;
}

json ApiEmulator::HandleUpdate(const std::string& token, const std::string& raw,
                               ReceivedMessage* accepted) {
    std::lock_guard lock(mu_);
    ++send_attempts_;
    if (auto e = CheckToken(token); !e.is_null()) {
        return e;
    }
    if (fail_next_ > 0) {
        --fail_next_;
        return Err(fail_errcode_, "injected failure");
    }
    auto body = json::parse(raw, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        return Err(47001, "data format error");
    }
    const auto& agentid = Field(body, "agentid");
    if (!agentid.is_number_integer() || (agent_id_ != 0 && agentid.get<int>() != agent_id_)) {
        return Err(40056, "invalid agentid");
    }
    const auto code = Str(body, "response_code");
    if (code.empty() || response_codes_.erase(code) == 0) {
        return Err(40058, "invalid response_code");
    }
    std::string users;
    const auto& userids = Field(body, "userids");
    if (userids.is_array()) {
        for (const auto& u : userids) {
            if (u.is_string()) {
                users += (users.empty() ? "" : "|") + u.get<std::string>();
            }
        }
    }
    ReceivedMessage m;
    m.seq = ++seq_;
    m.touser = users;
    m.msgtype = "update_template_card";
    m.response_code = code;
    m.body = std::move(body);
    updates_.push_back(m);
    *accepted = m;
    return {{"errcode", 0}, {"errmsg", "ok"}};
}

json ApiEmulator::HandleMenu(const std::string& token, const std::string& agentid,
                             const std::string& raw) {
    std::lock_guard lock(mu_);
    if (auto e = CheckToken(token); !e.is_null()) {
        return e;
    }
    int id = 0;
    try {
        std::size_t used = 0;
        id = std::stoi(agentid, &used);
        if (used != agentid.size()) {
            return Err(40056, "invalid agentid");
        }
    } catch (const std::exception&) {
        return Err(40056, "invalid agentid");
    }
    if (agent_id_ != 0 && id != agent_id_) {
        return Err(40056, "invalid agentid");
    }
    auto body = json::parse(raw, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        return Err(47001, "data format error");
    }
    const auto& buttons = Field(body, "button");
    if (!buttons.is_array() || buttons.empty() || buttons.size() > 3) {
        return Err(40058, "invalid button size");
    }
    menu_ = std::move(body);
    return {{"errcode", 0}, {"errmsg", "ok"}};
}

json ApiEmulator::Menu() const {
    std::lock_guard lock(mu_);
    return menu_;
}

void ApiEmulator::Deliver(const ReceivedMessage& m) {
    std::function<void(const ReceivedMessage&)> fn;
    {
        std::lock_guard lock(mu_);
        fn = on_message_;
    }
    cv_.notify_all();
    if (fn) {
        fn(m);
    }
}

void ApiEmulator::Route() {
    auto& svr = *server_;
    // Fault injection common to every path: down → 503, delay → answer late.
    auto gate = [this](httplib::Response& res) {
        {
            std::lock_guard lock(mu_);
            if (down_) {
                res.status = 503;
                res.set_content("service unavailable", "text/plain");
                return false;
            }
        }
        if (!Delay()) {
            res.status = 503;
            return false;
        }
        return true;
    };
    auto reply = [](httplib::Response& res, const json& j) {
        res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace),
                        "application/json; charset=utf-8");
    };

    svr.Get("/cgi-bin/gettoken", [this, gate, reply](const httplib::Request& req,
                                                     httplib::Response& res) {
        if (!gate(res)) {
            return;
        }
        std::lock_guard lock(mu_);
        ++gettoken_calls_;
        if (req.get_param_value("corpid") != corp_id_) {
            reply(res, Err(40013, "invalid corpid"));
            return;
        }
        if (req.get_param_value("corpsecret") != corp_secret_) {
            reply(res, Err(40001, "invalid credential"));
            return;
        }
        if (token_.empty()) {
            token_ = "emu-token-" + std::to_string(next_id_++);
        }
        reply(res,
              {{"errcode", 0}, {"errmsg", "ok"}, {"access_token", token_}, {"expires_in", 7200}});
    });

    svr.Post("/cgi-bin/message/send",
             [this, gate, reply](const httplib::Request& req, httplib::Response& res) {
                 if (!gate(res)) {
                     return;
                 }
                 ReceivedMessage accepted;
                 reply(res, HandleSend(req.get_param_value("access_token"), req.body, &accepted));
                 if (accepted.seq != 0) {
                     Deliver(accepted);
                 }
             });

    svr.Post("/cgi-bin/message/update_template_card",
             [this, gate, reply](const httplib::Request& req, httplib::Response& res) {
                 if (!gate(res)) {
                     return;
                 }
                 ReceivedMessage accepted;
                 reply(res, HandleUpdate(req.get_param_value("access_token"), req.body, &accepted));
                 if (accepted.seq != 0) {
                     Deliver(accepted);
                 }
             });

    svr.Post("/cgi-bin/menu/create",
             [this, gate, reply](const httplib::Request& req, httplib::Response& res) {
                 if (!gate(res)) {
                     return;
                 }
                 reply(res, HandleMenu(req.get_param_value("access_token"),
                                       req.get_param_value("agentid"), req.body));
             });

    svr.Post("/cgi-bin/media/upload",
             [this, gate, reply](const httplib::Request& req, httplib::Response& res) {
                 if (!gate(res)) {
                     return;
                 }
                 reply(res, HandleUpload(req));
             });

    svr.Get("/cgi-bin/media/get", [this, gate, reply](const httplib::Request& req,
                                                      httplib::Response& res) {
        if (!gate(res)) {
            return;
        }
        std::lock_guard lock(mu_);
        ++media_gets_;
        if (auto e = CheckToken(req.get_param_value("access_token")); !e.is_null()) {
            reply(res, e);
            return;
        }
        auto it = media_.find(req.get_param_value("media_id"));
        if (it == media_.end()) {
            reply(res, Err(40007, "invalid media_id"));
            return;
        }
        const auto& m = it->second;
        res.set_header("Content-disposition", "attachment; filename=\"" + m.file_name + "\"");
        res.set_header("Cache-Control", "no-cache, must-revalidate");
        res.set_content(
            m.bytes, m.content_type.empty() ? "application/octet-stream" : m.content_type.c_str());
    });

    svr.Post("/sim/media", [this, reply](const httplib::Request& req, httplib::Response& res) {
        const auto type = req.get_param_value("type");
        if (!IsMediaType(type) || !req.has_file("media")) {
            res.status = 400;
            reply(res, {{"ok", false}});
            return;
        }
        const auto part = req.get_file_value("media");
        reply(res, {{"media_id", AddMedia(EmulatedMedia{type, part.filename, part.content_type,
                                                        part.content})}});
    });

    svr.Get("/sim/menu",
            [this, reply](const httplib::Request&, httplib::Response& res) { reply(res, Menu()); });

    svr.Post("/sim/control", [this, reply](const httplib::Request& req, httplib::Response& res) {
        try {
            if (req.has_param("fail_next")) {
                const auto errcode =
                    req.has_param("errcode") ? std::stoi(req.get_param_value("errcode")) : -1;
                FailNext(std::stoi(req.get_param_value("fail_next")), errcode);
            }
            if (req.has_param("delay_ms")) {
                SetDelay(std::chrono::milliseconds(std::stoll(req.get_param_value("delay_ms"))));
            }
            if (req.has_param("down")) {
                SetDown(req.get_param_value("down") == "1");
            }
            if (req.has_param("expire_token")) {
                ExpireToken();
            }
            if (req.has_param("invalid_user")) {
                AddInvalidUser(req.get_param_value("invalid_user"));
            }
        } catch (const std::exception&) {
            res.status = 400;
            reply(res, {{"ok", false}});
            return;
        }
        reply(res, {{"ok", true}});
    });

    svr.Get("/sim/messages", [this, reply](const httplib::Request& req, httplib::Response& res) {
        std::uint64_t after = 0;
        try {
            if (req.has_param("after")) {
                after = std::stoull(req.get_param_value("after"));
            }
        } catch (const std::exception&) {
            res.status = 400;
            return;
        }
        const bool filter = req.has_param("touser");
        const auto touser = req.get_param_value("touser");
        std::vector<const ReceivedMessage*> all;
        std::lock_guard lock(mu_);
        for (const auto& m : received_) {
            all.push_back(&m);
        }
        for (const auto& m : updates_) {
            all.push_back(&m);
        }
        std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
        json out = json::array();
        for (const auto* m : all) {
            if (m->seq <= after || (filter && !Addressed(m->touser, touser))) {
                continue;
            }
            out.push_back({{"seq", m->seq},
                           {"touser", m->touser},
                           {"msgtype", m->msgtype},
                           {"body", m->body},
                           {"readable", DescribeMessage(m->msgtype, m->body, m->media_name)}});
        }
        reply(res, {{"messages", out}, {"last_seq", seq_}});
    });
}

int ApiEmulator::Start(const std::string& host, int port) {
    if (server_) {
        return port_;
    }
    {
        std::lock_guard lock(mu_);
        stopping_ = false;
    }
    server_ = std::make_unique<httplib::Server>();
    server_->set_keep_alive_timeout(1);
    Route();
    int bound = -1;
    if (port == 0) {
        bound = server_->bind_to_any_port(host);
    } else if (server_->bind_to_port(host, port)) {
        bound = port;
    }
    if (bound <= 0) {
        server_.reset();
        return -1;
    }
    host_ = host;
    port_ = bound;
    auto done = std::make_shared<std::atomic<bool>>(false);
    thread_ = std::thread([this, done] {
        server_->listen_after_bind();
        *done = true;
    });
    // httplib's stop() is a no-op until the accept loop runs: wait for it so Stop() right
    // after Start() cannot hang. The socket already accepts connections meanwhile.
    while (!server_->is_running() && !*done) {
        std::this_thread::yield();
    }
    log::Get("sim")->info("WeCom API emulator listening on {}", BaseUrl());
    return bound;
}

int ApiEmulator::StartAt(const std::string& api_base) {
    constexpr std::string_view kScheme = "http://";
    if (api_base.rfind(kScheme, 0) != 0) {
        return -1;
    }
    auto hostport = api_base.substr(kScheme.size());
    if (const auto slash = hostport.find('/'); slash != std::string::npos) {
        hostport.resize(slash);
    }
    const auto colon = hostport.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        return -1;
    }
    try {
        std::size_t used = 0;
        const auto port_text = hostport.substr(colon + 1);
        const int port = std::stoi(port_text, &used);
        if (used != port_text.size() || port <= 0 || port > 65535) {
            return -1;
        }
        return Start(hostport.substr(0, colon), port);
    } catch (const std::exception&) {
        return -1;
    }
}

void ApiEmulator::Stop() {
    if (!server_) {
        return;
    }
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    server_->stop();
    if (thread_.joinable()) {
        thread_.join();
    }
    server_.reset();
}

}  // namespace wedesk::sim
