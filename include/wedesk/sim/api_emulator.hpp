#pragma once
/// ApiEmulator: a local stand-in for the WeCom server API (WECOM_PROTOCOL.md §8) speaking its
/// wire format, for `wedesk sim api`, the demo and tests. It serves
///   GET  /cgi-bin/gettoken?corpid&corpsecret      40013 wrong corpid, 40001 wrong secret;
///        else {"access_token", "expires_in":7200} (the same token until ExpireToken())
///   POST /cgi-bin/message/send?access_token       41001 missing / 40014 unknown / 42001 expired
///        token, 47001 bad JSON, 40056 wrong agentid, 40008 unknown msgtype, 44004 empty
///        content, 45002 content > 2048 bytes, 40058 bad template_card, 42045 notice card
///        without card_action, 81013 all recipients invalid (AddInvalidUser);
///        else {"errcode":0,"msgid":"...","invaliduser":"","response_code":"..." (cards)}
///   POST /cgi-bin/message/update_template_card?access_token
///        40058 unknown or already used response_code (single-use, like WeCom)
///   POST /cgi-bin/menu/create?access_token&agentid   token errors as above, 40056 wrong
///        agentid, 47001 bad JSON, 40058 no 1..3 "button" entries; else errcode 0 and the menu is
///        kept (Menu(), GET /sim/menu)
///   POST /cgi-bin/media/upload?access_token&type  multipart part "media": 40005 bad type,
///        44001 empty part, 40006 ≤ 5 bytes, 45001 over the type's limit (image/video 10 MB,
///        voice 2 MB, file 20 MB); else {"errcode":0,"type","media_id","created_at":"<string>"}
///   GET  /cgi-bin/media/get?access_token&media_id the file with Content-Type and
///        Content-disposition: attachment; filename="..."; 40007 unknown or expired media_id
///        (JSON). message/send of image/voice/video/file needs a known media_id (else 40007).
///   POST /sim/media?type=image|voice|video|file   (emulator only, no token) multipart part
///        "media": what the WeCom client does when a member sends a file in the chat; answers
///        {"media_id"} for the inbound message's MediaId
///   GET  /sim/menu                                (emulator only) the last menu created, or null
///   GET  /sim/messages?touser=U&after=N           (emulator only, no token) what was received:
///        {"messages":[{"seq":1,"touser":"u1","msgtype":"text","body":{...message/send body...},
///                      "readable":"..."}, ...], "last_seq":7}
///        in seq order, only seq > N (default 0), only entries addressed to U (case-insensitive,
///        "u1|u2" and "@all" match; all entries when touser is absent). Card updates appear with
///        msgtype "update_template_card" and touser = the userids joined by '|'.
///   POST /sim/control?fail_next=N&errcode=E | delay_ms=MS | down=0|1 | expire_token=1 |
///        invalid_user=U      fault injection from another process (the same as the methods
///        below); answers {"ok":true}. The /sim/ paths are never down or delayed.
/// Duplicate check: a send with enable_duplicate_check=1 whose body, ignoring the two
/// duplicate-check fields, equals one accepted within duplicate_check_interval seconds (default
/// 1800) is answered like the original (errcode 0, same msgid) but not delivered again; such
/// drops are counted. Fault injection: FailNext, SetDown, SetDelay, ExpireToken.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace wedesk::sim {

/// One message the emulator accepted (or one card update, msgtype "update_template_card").
struct ReceivedMessage {
    std::uint64_t seq = 0;  ///< 1, 2, ... across sends and updates
    std::string touser;     ///< as sent ("u1|u2"); for updates the userids joined by '|'
    std::string msgtype;
    nlohmann::json body;        ///< the complete request body
    std::string msgid;          ///< what the emulator answered
    std::string response_code;  ///< template cards only
    std::string media_name;     ///< image/voice/video/file: the uploaded file's name
};

/// A temporary media file the emulator holds (uploaded, or sent by a simulated user).
struct EmulatedMedia {
    std::string type;  ///< image | voice | video | file
    std::string file_name;
    std::string content_type;
    std::string bytes;
};

/// A readable rendering: text/markdown content; cards as title, description, fields and
/// buttons "[接单] ticket_accept:INC1"; updates as "card updated: <replace_name>".
/// Media messages as "[image] name" (`media_name` when known, else the media_id).
std::string DescribeMessage(const std::string& msgtype, const nlohmann::json& body,
                            const std::string& media_name = "");

class ApiEmulator final {
public:
    /// `agent_id` 0 accepts any agentid.
    ApiEmulator(std::string corp_id, std::string corp_secret, int agent_id = 0);
    ~ApiEmulator();
    ApiEmulator(const ApiEmulator&) = delete;
    ApiEmulator& operator=(const ApiEmulator&) = delete;

    /// Binds `host:port` (0 = any free port) and serves on a background thread, listening on
    /// return. Returns the bound port, or -1 when binding failed.
    int Start(const std::string& host, int port);
    /// Start() on the host and port of `api_base` ("http://127.0.0.1:9000"); -1 when `api_base`
    /// is not http://host:port or binding failed.
    int StartAt(const std::string& api_base);
    /// Stops serving (delayed answers are cut short) and joins. Idempotent.
    void Stop();
    /// "http://host:port" once started.
    std::string BaseUrl() const;

    /// Called (on a server thread, no lock held) for every accepted message or card update.
    void SetOnMessage(std::function<void(const ReceivedMessage&)> fn);

    /// Accepted message/send messages, in order (card updates are in Updates()).
    std::vector<ReceivedMessage> Received() const;
    std::vector<ReceivedMessage> Updates() const;
    std::size_t GettokenCalls() const;
    /// The body of the last accepted menu/create, null when none.
    nlohmann::json Menu() const;
    /// Sends answered errcode 0 but dropped by the duplicate check.
    std::size_t DuplicatesDropped() const;
    /// All message/send and update_template_card requests that reached a handler.
    std::size_t SendAttempts() const;

    /// Stores a media file as if a member had sent it in the chat (or media/upload had); returns
    /// its media_id for an inbound image/voice/file callback.
    std::string AddMedia(const EmulatedMedia& media);
    /// The file behind `media_id`, if the emulator holds it.
    std::optional<EmulatedMedia> MediaOf(const std::string& media_id) const;
    /// Forgets `media_id`: media/get then answers 40007, as WeCom does after 3 days.
    void ExpireMedia(const std::string& media_id);
    /// media/get calls that reached the handler (for tests).
    std::size_t MediaGets() const;

    /// The next `n` message/send or update_template_card requests answer `errcode`.
    void FailNext(int n, int errcode);
    /// While down every WeCom path answers HTTP 503.
    void SetDown(bool down);
    /// Every answer waits this long first (use > the client timeout to test timeouts).
    void SetDelay(std::chrono::milliseconds delay);
    /// Invalidates the current token: the next call with it answers 42001, gettoken then issues
    /// a new one.
    void ExpireToken();
    /// Recipients the app "cannot see": listed in invaliduser, 81013 when all are invalid.
    void AddInvalidUser(const std::string& userid);

    /// Blocks until at least `n` messages were accepted or `timeout` passed; true when reached.
    bool WaitForMessages(std::size_t n, std::chrono::milliseconds timeout) const;
    /// The same for accepted card updates (Updates()).
    bool WaitForUpdates(std::size_t n, std::chrono::milliseconds timeout) const;

private:
    struct Delivered {
        std::chrono::steady_clock::time_point at;
        std::string msgid;
        std::string response_code;
    };
    void Route();
    /// Waits the configured delay; false when the emulator is stopping.
    bool Delay();
    /// JSON reply for the token check; empty when the token is good.
    nlohmann::json CheckToken(const std::string& token);
    nlohmann::json HandleSend(const std::string& token, const std::string& body,
                              ReceivedMessage* accepted);
    nlohmann::json HandleUpdate(const std::string& token, const std::string& body,
                                ReceivedMessage* accepted);
    nlohmann::json HandleUpload(const httplib::Request& req);
    nlohmann::json HandleMenu(const std::string& token, const std::string& agentid,
                              const std::string& body);
    void Deliver(const ReceivedMessage& m);

    const std::string corp_id_;
    const std::string corp_secret_;
    const int agent_id_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::string host_;
    int port_ = -1;

    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    bool stopping_ = false;
    std::function<void(const ReceivedMessage&)> on_message_;
    std::vector<ReceivedMessage> received_;
    std::vector<ReceivedMessage> updates_;
    std::map<std::string, Delivered> recent_;  // canonical body → first delivery
    std::set<std::string> response_codes_;     // issued, not yet used
    std::set<std::string> invalid_users_;      // lower-cased
    std::string token_;
    nlohmann::json menu_;
    std::map<std::string, EmulatedMedia> media_;  // media_id → file
    std::size_t media_gets_ = 0;
    std::set<std::string> expired_tokens_;
    std::uint64_t seq_ = 0;
    std::uint64_t next_id_ = 1;
    std::size_t gettoken_calls_ = 0;
    std::size_t duplicates_dropped_ = 0;
    std::size_t send_attempts_ = 0;
    int fail_next_ = 0;
    int fail_errcode_ = -1;
    bool down_ = false;
    std::chrono::milliseconds delay_{0};
};

}  // namespace wedesk::sim
