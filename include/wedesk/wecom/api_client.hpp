#pragma once
/// ApiClient: the WeCom server API as wedesk uses it (WECOM_PROTOCOL.md §8): `gettoken` with a
/// process-wide cached token (single-flight refresh, refreshed shortly before `expires_in`, and
/// once more when a call answers 40014/42001), `message/send` (text, markdown, template_card,
/// image/voice/file), `message/update_template_card`, and temporary media (`media/get`,
/// `media/upload`, WECOM_API.md §4). Every call has a timeout; nothing throws.
///
/// Error codes (Error::code):
///   "wecom_<errcode>"  WeCom answered errcode != 0 (e.g. "wecom_81013", "wecom_-1")
///   "network"          connection refused/reset, TLS failure, read/write timeout
///   "timeout"          connect timeout
///   "http_<status>"    HTTP status other than 200 (WeCom itself always answers 200)
///   "bad_response"     the body is not the JSON WeCom sends
///   "bad_request"      our own arguments are unusable (never sent)
///   "too_large"        media/get: the file is larger than the caller's cap (not read further)
/// IsRetryable() tells the outbox what to do with each. The token and secret never appear in an
/// Error message or a log line (so URLs, which carry them, are never logged either).

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/media.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/common/secret.hpp"

namespace wedesk::wecom {

/// What message/send answered for an accepted message.
struct SendResult {
    std::string msgid;          ///< for message/recall
    std::string response_code;  ///< template cards with interaction: for update_template_card
    std::string invaliduser;    ///< "u1|u2" recipients WeCom refused (partial success)
};

/// True for failures worth retrying later: network/timeout, HTTP 5xx/429, a garbled response,
/// errcode -1 (busy), 45009 (frequency), 45033 (concurrency), and 40014/42001 when they persist
/// after the built-in refresh. Everything else (81013 invalid users, 40058 bad param, 44004
/// empty content, 400xx config errors, "bad_request") is permanent.
bool IsRetryable(const Error& error);

/// True for errors that say our configuration is wrong, so every message would fail alike:
/// 60020 (caller IP not in 企业可信IP), 40001/40091 (secret), 40013 (corpid), 40056/41011
/// (agentid), 48002 (API not authorised for the app). Fixed by an administrator, not by time.
bool IsConfigError(const Error& error);

/// The WeCom errcode inside a "wecom_<n>" error, or 0 for other errors.
int WecomErrcode(const Error& error);

class ApiClient final : public MediaSource {
public:
    /// `api_base`: "https://qyapi.weixin.qq.com" or "http://127.0.0.1:PORT" (an optional path
    /// prefix is kept). HTTPS verifies the server certificate against the system CA bundle.
    /// `timeout_s` bounds connect, write and each read of every call.
    ApiClient(std::string api_base, std::string corp_id, Secret secret, int agent_id, Clock& clock,
              int timeout_s);

    ApiClient(const ApiClient&) = delete;
    ApiClient& operator=(const ApiClient&) = delete;

    /// Text message (≤2048 bytes). `duplicate_check` adds enable_duplicate_check=1 with the
    /// default interval (1800 s).
    Result<SendResult> SendText(const std::string& touser, const std::string& content,
                                bool duplicate_check = false);
    Result<SendResult> SendMarkdown(const std::string& touser, const std::string& content,
                                    bool duplicate_check = false);
    /// `card` is the "template_card" object (e.g. card_type "button_interaction").
    Result<SendResult> SendTemplateCard(const std::string& touser, const nlohmann::json& card,
                                        bool duplicate_check = false);
    /// A complete message/send body (touser, msgtype, the msgtype object, optional
    /// enable_duplicate_check...). "agentid" is filled in when absent. Used by the outbox.
    Result<SendResult> SendRaw(nlohmann::json body);

    /// Greys out the buttons of the card identified by `response_code` for `userids`, showing
    /// `replace_name` (message/update_template_card with "button":{"replace_name"}).
    Result<void> UpdateTemplateCard(const std::vector<std::string>& userids,
                                    const std::string& response_code,
                                    const std::string& replace_name);
    /// Any update_template_card body (e.g. with a full "template_card"); "agentid" filled in.
    Result<void> UpdateTemplateCardRaw(nlohmann::json body);

    /// Downloads temporary media (GET media/get; valid 3 days after the user sent it). A
    /// declared or actual size over `max_bytes` stops the download: "too_large". A JSON body is
    /// WeCom's error (40007 invalid media_id once expired).
    Result<MediaFile> GetMedia(const std::string& media_id, std::size_t max_bytes);
    // MediaSource: GetMedia, and IsRetryable.
    Result<MediaFile> Download(const std::string& media_id, std::size_t max_bytes) override {
        return GetMedia(media_id, max_bytes);
    }
    bool Retryable(const Error& error) const override { return IsRetryable(error); }
    /// Uploads temporary media (POST media/upload?type=image|voice|video|file, multipart part
    /// "media"); returns the new media_id (valid 3 days) for an image/voice/file message.
    Result<std::string> UploadMedia(const std::string& type, const std::string& file_name,
                                    const std::string& bytes, const std::string& content_type);

    /// The app's custom menu (POST menu/create?access_token&agentid), e.g.
    /// {"button":[{"type":"click","name":"报修","key":"MENU_NEW_TICKET"}, ...]}.
    Result<void> CreateMenu(const nlohmann::json& menu);

    /// The cached access token, fetching it when missing or about to expire. Concurrent callers
    /// wait for one refresh instead of each calling gettoken.
    Result<std::string> Token();

    int agent_id() const { return agent_id_; }
    /// Number of gettoken calls made (for metrics and tests).
    std::uint64_t gettoken_calls() const;

private:
    /// `extra_query`: more "&name=value" parameters after access_token ("" for none).
    Result<nlohmann::json> PostWithToken(const std::string& api_path, const nlohmann::json& body,
                                         const std::string& extra_query = "");
    /// Runs `call` with the cached token; on 40014/42001 refreshes it and runs it once more.
    template <class T, class Call>
    Result<T> WithToken(const std::string& what, Call call);
    Result<nlohmann::json> PostOnce(const std::string& api_path, const std::string& token,
                                    const std::string& body, const std::string& extra_query);
    Result<std::string> FetchToken();
    /// Drops the cached token if it is still `bad` (another thread may have refreshed it).
    void Invalidate(const std::string& bad);

    std::string scheme_host_port_;
    std::string path_prefix_;
    std::string corp_id_;
    Secret secret_;
    int agent_id_;
    Clock& clock_;
    int timeout_s_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    Secret token_;                    // guarded by mu_
    Clock::TimePoint refresh_after_;  // guarded by mu_: refresh from then on
    Clock::TimePoint expires_at_;     // guarded by mu_: unusable from then on
    bool refreshing_ = false;         // guarded by mu_
    std::uint64_t refresh_generation_ = 0;
    Error last_refresh_error_;
    std::uint64_t gettoken_calls_ = 0;
};

}  // namespace wedesk::wecom
