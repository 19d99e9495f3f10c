#pragma once
/// Config: every setting of wedesk, loaded from a JSON-with-comments file and overridden by
/// environment variables WEDESK__SECTION__KEY. Loading validates everything: an unknown key, a
/// wrong type or a missing required value is an error naming the key, and start-up stops.
/// The authoritative list with comments is config/wedesk.example.jsonc.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wedesk/common/result.hpp"
#include "wedesk/common/secret.hpp"

namespace wedesk::config {

struct ServerConfig {
    std::string host = "127.0.0.1";
    int port = 8080;
    int threads = 2;                                   ///< event-loop threads of the HTTP server
    std::string public_url = "http://127.0.0.1:8080";  ///< base of links sent to users
    std::size_t max_body_bytes = 64 * 1024;
    int max_connections = 1024;    ///< past this the connection idle longest is closed
    int keepalive_timeout_s = 60;  ///< an idle keep-alive connection is closed after this
    int request_timeout_s = 10;    ///< deadline for a request's headers, and again its body
    bool demo = false;             ///< allows console SMS and the local directory, loudly
};

struct WecomConfig {
    std::string corp_id;
    int agent_id = 0;
    Secret secret;            ///< app secret for gettoken
    Secret token;             ///< callback signature token
    Secret encoding_aes_key;  ///< 43 characters
    std::string api_base = "https://qyapi.weixin.qq.com";
    std::string callback_path = "/wecom/callback";
    int max_clock_skew_s = 300;  ///< 0 turns the freshness check off
};

struct DatabaseConfig {
    std::string path = "var/wedesk.db";
};

struct LogConfig {
    std::string level = "info";
    std::string format = "text";  ///< "text" | "json"
    std::string file;             ///< empty: stderr
};

struct Category {
    std::string key;
    std::string name;
};

struct Group {
    std::string name;
    std::vector<std::string> categories;  ///< category keys this group handles
};

struct SlaTarget {
    int response_min = 0;
    int resolve_min = 0;
};

struct BusinessHours {
    std::vector<int> days = {1, 2, 3, 4, 5};  ///< ISO weekdays, 1 = Monday
    std::string start = "09:00";
    std::string end = "18:00";
    std::vector<std::string> holidays;  ///< "YYYY-MM-DD"
    std::string utc_offset = "+08:00";
};

/// Files employees send (images, voice, files): fetched from WeCom at once, kept on disk.
struct AttachmentsConfig {
    std::string dir;  ///< "" in the file = "attachments" beside database.path (set by Parse)
    int max_mb = 20;  ///< larger files are not kept (WeCom's own cap for files is 20 MB)
    /// Files of tickets closed or cancelled longer ago than this are deleted; 0 keeps them.
    int retention_days = 365;
};

struct TicketsConfig {
    std::vector<Category> categories;  ///< empty in the file → built-in defaults
    std::vector<Group> groups;
    std::map<std::string, SlaTarget> sla;  ///< "P1" | "P2" | "P3"
    BusinessHours business_hours;
    /// "business" | "calendar" for all priorities, or per priority ({"P1": "calendar", ...}).
    std::map<std::string, std::string> sla_clock;
    int accept_timeout_min = 15;
    int auto_close_days = 7;
    int dialog_timeout_min = 30;  ///< idle flows expire after this
    AttachmentsConfig attachments;
};

struct WebhookSmsConfig {
    std::string url;
    Secret secret;
};

struct TencentSmsConfig {
    std::string endpoint = "https://sms.tencentcloudapi.com";
    std::string region = "ap-guangzhou";
    std::string secret_id;
    Secret secret_key;
    std::string sdk_app_id;
    std::string sign_name;
    std::string template_id;
};

struct AliyunSmsConfig {
    std::string endpoint = "https://dysmsapi.aliyuncs.com";
    std::string access_key_id;
    Secret access_key_secret;
    std::string sign_name;
    std::string template_code;
};

struct SmsConfig {
    std::string provider;  ///< "console" | "webhook" | "tencent" | "aliyun"
    WebhookSmsConfig webhook;
    TencentSmsConfig tencent;
    AliyunSmsConfig aliyun;
    int timeout_s = 3;  ///< well under WeCom's 5 s; at most 4
};

struct LdapConfig {
    std::string uri;
    std::string flavor = "openldap";  ///< "openldap" | "ad"
    std::string bind_dn;
    Secret bind_password;
    std::string base_dn;
    std::string user_filter = "(uid={account})";
    std::string mobile_attr = "mobile";
    bool starttls = false;
    std::string ca_file;
    std::vector<std::string> protected_groups;
    int timeout_s = 10;
};

struct DirectoryConfig {
    std::string kind;  ///< "local" | "ldap"
    LdapConfig ldap;
};

struct ResetConfig {
    std::string mode = "link";  ///< "link" | "temp_password"
    int min_reset_interval_min = 10;
    int code_ttl_s = 300;
    int max_attempts = 5;
    int resend_cooldown_s = 60;
    int max_sends_per_hour = 5;
    int max_sends_per_day = 10;
    int link_ttl_s = 600;
    int min_length = 10;
    int lock_min = 15;  ///< flow locked this long after max_attempts wrong codes
    /// Wrong codes per user, and per phone, in any 24 h: past it self-service stays closed
    /// until the window passes or IT reopens it (wedesk admin reset unlock USERID).
    int max_wrong_codes_per_day = 10;
    /// Codes sent by the whole server (every attempt, failed ones too): past it nobody gets a
    /// code and IT is alerted (log, wedesk_reset_sms_budget_refused_total).
    int sms_budget_per_hour = 100;
    int sms_budget_per_day = 500;
    /// Use the imported mobile when the directory has none for the account (off: the code
    /// goes only to the directory's number of record).
    bool allow_imported_mobile = false;
};

struct Config {
    ServerConfig server;
    WecomConfig wecom;
    DatabaseConfig database;
    LogConfig log;
    TicketsConfig tickets;
    std::optional<SmsConfig> sms;              ///< absent: self-service reset not set up
    std::optional<DirectoryConfig> directory;  ///< absent: self-service reset not set up
    ResetConfig reset;
    std::string source_path;  ///< the file it was loaded from, for the start-up line
};

/// Parses and validates `text` (JSON with comments), then applies overrides from `env`
/// (entries "WEDESK__SECTION__KEY=value"; other entries are ignored). Errors name the key,
/// e.g. "wecom.encoding_aes_key: must be 43 characters".
Result<Config> Parse(const std::string& text, const std::vector<std::string>& env = {});

/// Reads `path` and calls Parse with the process environment.
Result<Config> Load(const std::string& path);

/// The built-in ticket categories used when the config lists none.
std::vector<Category> DefaultCategories();

}  // namespace wedesk::config
