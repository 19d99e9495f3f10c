#include "wedesk/wecom/api_client.hpp"

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string_view>
#include <utility>

#include "wedesk/common/log.hpp"

namespace wedesk::wecom {

namespace {

using nlohmann::json;

constexpr int kDefaultDuplicateInterval = 1800;
constexpr std::size_t kMaxErrmsg = 200;

std::shared_ptr<spdlog::logger> Log() { return log::Get("wecom"); }

Error WecomError(int errcode, const json& body) {
    std::string errmsg;
    if (body.contains("errmsg") && body["errmsg"].is_string()) {
        errmsg = body["errmsg"].get<std::string>();
    }
    if (errmsg.size() > kMaxErrmsg) {
        errmsg.resize(kMaxErrmsg);
    }
    return Fail(Errc::kWecom,
                "WeCom errcode " + std::to_string(errcode) + (errmsg.empty() ? "" : ": " + errmsg),
                errcode);
}

Error TransportError(httplib::Error e) {
    if (e == httplib::Error::ConnectionTimeout) {
        return Fail(Errc::kTimeout, "WeCom API: connect timeout");
    }
    // Read/Write failures include read timeouts: the peer did not answer in time.
    return Fail(Errc::kNetwork, "WeCom API: " + httplib::to_string(e));
}

std::string StringField(const json& j, const char* key) {
    if (j.contains(key)) {
        const auto& v = j[key];
        if (v.is_string()) {
            return v.get<std::string>();
        }
        if (v.is_number_integer()) {
            return std::to_string(v.get<std::int64_t>());
        }
    }
    return {};
}

json MessageBody(const std::string& touser, const std::string& msgtype, json payload,
                 bool duplicate_check) {
    json body = {{"touser", touser}, {"msgtype", msgtype}, {msgtype, std::move(payload)}};
    if (duplicate_check) {
        body["enable_duplicate_check"] = 1;
        body["duplicate_check_interval"] = kDefaultDuplicateInterval;
    }
    return body;
}

}  // namespace

int WecomErrcode(const Error& error) {
    return error.code == Errc::kWecom ? static_cast<int>(error.detail) : 0;
}

bool IsRetryable(const Error& error) {
    const Errc c = error.code;
    if (c == Errc::kNetwork || c == Errc::kTimeout || c == Errc::kBadResponse) {
        return true;
    }
    if (c == Errc::kHttp) {
        return error.detail == 429 || (error.detail >= 500 && error.detail <= 599);
    }
    switch (WecomErrcode(error)) {
        case -1:     // system busy
        case 45009:  // frequency limit
        case 45033:  // concurrency limit
        case 40014:  // token invalid even after the refresh: transient on WeCom's side
        case 42001:
            return true;
        default:
            return false;
    }
}

bool IsConfigError(const Error& error) {
    switch (WecomErrcode(error)) {
        case 60020:
        case 40001:
        case 40091:
        case 40013:
        case 40056:
        case 41011:
        case 48002:
            return true;
        default:
            return false;
    }
}

ApiClient::ApiClient(std::string api_base, std::string corp_id, Secret secret, int agent_id,
                     Clock& clock, int timeout_s)
    : corp_id_(std::move(corp_id)),
      secret_(std::move(secret)),
      agent_id_(agent_id),
      clock_(clock),
      timeout_s_(std::max(1, timeout_s)) {
    while (!api_base.empty() && api_base.back() == '/') {
        api_base.pop_back();
    }
    const auto scheme_end = api_base.find("://");
    const auto path_start =
        api_base.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    if (path_start == std::string::npos) {
        scheme_host_port_ = api_base;
    } else {
        scheme_host_port_ = api_base.substr(0, path_start);
        path_prefix_ = api_base.substr(path_start);
    }
}

std::uint64_t ApiClient::gettoken_calls() const {
    std::lock_guard lock(mu_);
    return gettoken_calls_;
}

namespace {

std::unique_ptr<httplib::Client> NewClient(const std::string& scheme_host_port, int timeout_s) {
    auto cli = std::make_unique<httplib::Client>(scheme_host_port);
    cli->set_connection_timeout(timeout_s, 0);
    cli->set_read_timeout(timeout_s, 0);
    cli->set_write_timeout(timeout_s, 0);
    // Default CA paths of OpenSSL = the system bundle (ca-certificates).
    cli->enable_server_certificate_verification(true);
    cli->set_follow_location(false);
    return cli;
}

Result<json> ParseReply(const httplib::Result& res) {
    if (!res) {
        return TransportError(res.error());
    }
    if (res->status != 200) {
        return Fail(Errc::kHttp, "WeCom API answered HTTP " + std::to_string(res->status),
                    res->status);
    }
    auto body = json::parse(res->body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        return Fail(Errc::kBadResponse, "WeCom API answered something other than a JSON object");
    }
    int errcode = 0;
    if (body.contains("errcode")) {
        if (!body["errcode"].is_number_integer()) {
            return Fail(Errc::kBadResponse, "WeCom API answered a non-integer errcode");
        }
        errcode = body["errcode"].get<int>();
    }
    if (errcode != 0) {
        return WecomError(errcode, body);
    }
    return body;
}

}  // namespace

Result<std::string> ApiClient::FetchToken() {
    auto cli = NewClient(scheme_host_port_, timeout_s_);
    if (!cli->is_valid()) {
        return Fail(Errc::kBadRequest, "wecom.api_base is not a usable URL");
    }
    {
        std::lock_guard lock(mu_);
        ++gettoken_calls_;
    }
    const httplib::Params params = {{"corpid", corp_id_}, {"corpsecret", secret_.Reveal()}};
    auto reply = ParseReply(cli->Get(path_prefix_ + "/cgi-bin/gettoken", params, {}));
    if (!reply) {
        Log()->warn("gettoken failed: {}", reply.error().message);
        return reply.error();
    }
    auto token = StringField(*reply, "access_token");
    if (token.empty()) {
        return Fail(Errc::kBadResponse, "gettoken answered no access_token");
    }
    std::int64_t expires_in = 7200;
    if (reply->contains("expires_in") && (*reply)["expires_in"].is_number_integer()) {
        expires_in = std::max<std::int64_t>(1, (*reply)["expires_in"].get<std::int64_t>());
    }
    // Refresh a few minutes early so a call never starts with a token about to die.
    const std::int64_t margin = std::min<std::int64_t>(300, expires_in / 2);
    std::lock_guard lock(mu_);
    const auto now = clock_.Now();
    expires_at_ = now + std::chrono::seconds(expires_in);
    refresh_after_ = now + std::chrono::seconds(expires_in - margin);
    token_ = Secret(token);
    WipeString(token);
    return token_.Reveal();
}

Result<std::string> ApiClient::Token() {
    std::unique_lock lock(mu_);
    for (;;) {
        const auto now = clock_.Now();
        if (!token_.empty() && now < refresh_after_) {
            return token_.Reveal();
        }
        if (!refreshing_) {
            break;
        }
        const auto generation = refresh_generation_;
        cv_.wait(lock, [&] { return !refreshing_; });
        if (refresh_generation_ != generation && token_.empty()) {
            // The refresh we waited for failed: report it rather than queueing another gettoken.
            return last_refresh_error_;
        }
    }
    refreshing_ = true;
    lock.unlock();
    auto fetched = FetchToken();
    lock.lock();
    refreshing_ = false;
    ++refresh_generation_;
    cv_.notify_all();
    if (fetched) {
        return fetched;
    }
    last_refresh_error_ = fetched.error();
    // A failed early refresh can still fall back on the old token while it lives.
    if (!token_.empty() && clock_.Now() < expires_at_) {
        return token_.Reveal();
    }
    token_ = Secret();
    return fetched.error();
}

void ApiClient::Invalidate(const std::string& bad) {
    std::lock_guard lock(mu_);
    if (!token_.empty() && token_.Reveal() == bad) {
        token_ = Secret();
    }
}

Result<json> ApiClient::PostOnce(const std::string& api_path, const std::string& token,
                                 const std::string& body, const std::string& extra_query) {
    auto cli = NewClient(scheme_host_port_, timeout_s_);
    if (!cli->is_valid()) {
        return Fail(Errc::kBadRequest, "wecom.api_base is not a usable URL");
    }
    const auto path =
        httplib::append_query_params(path_prefix_ + api_path, {{"access_token", token}}) +
        extra_query;
    return ParseReply(cli->Post(path, body, "application/json"));
}

template <class T, class Call>
Result<T> ApiClient::WithToken(const std::string& what, Call call) {
    auto token = Token();
    if (!token) {
        return token.error();
    }
    Result<T> reply = call(*token);
    const int errcode = reply ? 0 : WecomErrcode(reply.error());
    if (errcode == 40014 || errcode == 42001) {
        // WeCom may invalidate a token before expires_in: refresh once and retry once.
        Log()->info("access token rejected ({}), refreshing", errcode);
        Invalidate(*token);
        token = Token();
        if (!token) {
            return token.error();
        }
        reply = call(*token);
    }
    if (!reply) {
        Log()->warn("{} failed: {}", what, reply.error().message);
    }
    return reply;
}

Result<json> ApiClient::PostWithToken(const std::string& api_path, const json& body,
                                      const std::string& extra_query) {
    const auto text = body.dump(-1, ' ', false, json::error_handler_t::replace);
    return WithToken<json>(api_path, [&](const std::string& token) {
        return PostOnce(api_path, token, text, extra_query);
    });
}

namespace {

/// filename="x.jpg" (or filename*=UTF-8''x.jpg) out of a Content-disposition header.
std::string DispositionFileName(const std::string& header) {
    auto pos = header.find("filename=");
    if (pos == std::string::npos) {
        return {};
    }
    std::string v = header.substr(pos + 9);
    if (!v.empty() && v.front() == '"') {
        const auto end = v.find('"', 1);
        return v.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    }
    return v.substr(0, v.find(';'));
}

}  // namespace

Result<MediaFile> ApiClient::GetMedia(const std::string& media_id, std::size_t max_bytes) {
    if (media_id.empty()) {
        return Fail(Errc::kBadRequest, "media/get needs a media_id");
    }
    return WithToken<MediaFile>("media/get", [&](const std::string& token) -> Result<MediaFile> {
        auto cli = NewClient(scheme_host_port_, timeout_s_);
        if (!cli->is_valid()) {
            return Fail(Errc::kBadRequest, "wecom.api_base is not a usable URL");
        }
        MediaFile media;
        bool too_large = false;
        const httplib::Params params = {{"access_token", token}, {"media_id", media_id}};
        auto res = cli->Get(
            path_prefix_ + "/cgi-bin/media/get", params, {},
            [&](const httplib::Response& head) {
                const auto length = head.get_header_value("Content-Length");
                std::uint64_t declared = 0;
                const auto [end, ec] =
                    std::from_chars(length.data(), length.data() + length.size(), declared);
                if (ec == std::errc() && declared > max_bytes) {
                    too_large = true;
                    return false;
                }
                (void)end;
                return true;
            },
            [&](const char* data, std::size_t n) {
                if (media.bytes.size() + n > max_bytes) {
                    too_large = true;
                    return false;
                }
                media.bytes.append(data, n);
                return true;
            });
        if (too_large) {
            return Fail(Errc::kTooLarge, "media/get: the file is larger than " +
                                             std::to_string(max_bytes) + " bytes");
        }
        if (!res) {
            return TransportError(res.error());
        }
        if (res->status != 200 && res->status != 206) {
            return Fail(Errc::kHttp, "WeCom API answered HTTP " + std::to_string(res->status),
                        res->status);
        }
        media.content_type = res->get_header_value("Content-Type");
        // Failure is a JSON body instead of the file (the status code is not documented).
        if (media.content_type.find("json") != std::string::npos ||
            (!media.bytes.empty() && media.bytes.front() == '{' &&
             media.content_type.find("text") != std::string::npos)) {
            auto body = json::parse(media.bytes, nullptr, false);
            if (body.is_object() && body.contains("errcode") &&
                body["errcode"].is_number_integer() && body["errcode"].get<int>() != 0) {
                return WecomError(body["errcode"].get<int>(), body);
            }
            if (media.content_type.find("json") != std::string::npos) {
                return Fail(Errc::kBadResponse, "media/get answered JSON without the file");
            }
        }
        media.file_name = DispositionFileName(res->get_header_value("Content-disposition"));
        return media;
    });
}

Result<std::string> ApiClient::UploadMedia(const std::string& type, const std::string& file_name,
                                           const std::string& bytes,
                                           const std::string& content_type) {
    if (type != "image" && type != "voice" && type != "video" && type != "file") {
        return Fail(Errc::kBadRequest, "media/upload type must be image, voice, video or file");
    }
    return WithToken<std::string>(
        "media/upload", [&](const std::string& token) -> Result<std::string> {
            auto cli = NewClient(scheme_host_port_, timeout_s_);
            if (!cli->is_valid()) {
                return Fail(Errc::kBadRequest, "wecom.api_base is not a usable URL");
            }
            const auto path = httplib::append_query_params(
                path_prefix_ + "/cgi-bin/media/upload", {{"access_token", token}, {"type", type}});
            const httplib::MultipartFormDataItems items = {
                {"media", bytes, file_name.empty() ? "file" : file_name,
                 content_type.empty() ? "application/octet-stream" : content_type}};
            auto reply = ParseReply(cli->Post(path, {}, items));
            if (!reply) {
                return reply.error();
            }
            auto id = StringField(*reply, "media_id");
            if (id.empty()) {
                return Fail(Errc::kBadResponse, "media/upload answered no media_id");
            }
            return id;
        });
}

Result<SendResult> ApiClient::SendRaw(json body) {
    if (!body.is_object() || !body.contains("msgtype")) {
        return Fail(Errc::kBadRequest, "message/send body needs an object with msgtype");
    }
    if (!body.contains("agentid")) {
        body["agentid"] = agent_id_;
    }
    auto reply = PostWithToken("/cgi-bin/message/send", body);
    if (!reply) {
        return reply.error();
    }
    SendResult out;
    out.msgid = StringField(*reply, "msgid");
    out.response_code = StringField(*reply, "response_code");
    out.invaliduser = StringField(*reply, "invaliduser");
    return out;
}

Result<SendResult> ApiClient::SendText(const std::string& touser, const std::string& content,
                                       bool duplicate_check) {
    return SendRaw(MessageBody(touser, "text", {{"content", content}}, duplicate_check));
}

Result<SendResult> ApiClient::SendMarkdown(const std::string& touser, const std::string& content,
                                           bool duplicate_check) {
    return SendRaw(MessageBody(touser, "markdown", {{"content", content}}, duplicate_check));
}

Result<SendResult> ApiClient::SendTemplateCard(const std::string& touser, const json& card,
                                               bool duplicate_check) {
    if (!card.is_object()) {
        return Fail(Errc::kBadRequest, "template_card must be a JSON object");
    }
    return SendRaw(MessageBody(touser, "template_card", card, duplicate_check));
}

Result<void> ApiClient::UpdateTemplateCardRaw(json body) {
    if (!body.is_object()) {
        return Fail(Errc::kBadRequest, "update_template_card body must be a JSON object");
    }
    if (!body.contains("agentid")) {
        body["agentid"] = agent_id_;
    }
    auto reply = PostWithToken("/cgi-bin/message/update_template_card", body);
    if (!reply) {
        return reply.error();
    }
    return {};
}

Result<void> ApiClient::UpdateTemplateCard(const std::vector<std::string>& userids,
                                           const std::string& response_code,
                                           const std::string& replace_name) {
    if (userids.empty() || response_code.empty()) {
        return Fail(Errc::kBadRequest, "update_template_card needs userids and a response_code");
    }
    return UpdateTemplateCardRaw({{"userids", userids},
                                  {"response_code", response_code},
                                  {"button", {{"replace_name", replace_name}}}});
}

Result<void> ApiClient::CreateMenu(const json& menu) {
    if (!menu.is_object() || !menu.contains("button")) {
        return Fail(Errc::kBadRequest, "menu/create body needs an object with \"button\"");
    }
    auto reply =
        PostWithToken("/cgi-bin/menu/create", menu, "&agentid=" + std::to_string(agent_id_));
    if (!reply) {
        return reply.error();
    }
    return {};
}

}  // namespace wedesk::wecom
