#pragma once
/// CallbackHandler: WeCom's callback protocol without the HTTP library. GET = URL verification
/// (answer the decrypted echostr), POST = an encrypted message (verify, decrypt, parse, hand to
/// the MessageHandler, answer with an encrypted passive reply). Every refusal is a 4xx with a
/// short generic body and an `outcome` naming the reason for logs and metrics; nothing secret
/// or decrypted is ever echoed. http/ binds this to routes; tests may call it directly.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/wecom/crypto.hpp"
#include "wedesk/wecom/message.hpp"

namespace wedesk::wecom {

/// What the bot answers within the HTTP response.
struct PassiveReply {
    enum class Kind { kNone, kText, kUpdateButton };
    Kind kind = Kind::kNone;
    std::string text;  ///< message text, or the button's replace name
};

/// Processes one decrypted message exactly once and hands its reply to `done`, possibly on
/// another thread and later. An Error means nothing was committed: the callback answers 500 so
/// WeCom delivers it again.
class MessageHandler {
public:
    using Done = std::function<void(Result<PassiveReply>)>;
    virtual ~MessageHandler() = default;
    virtual void Submit(InboundMessage message, Done done) = 0;
    /// Submit and wait (tests, tools): blocks the calling thread until `done` ran.
    Result<PassiveReply> Handle(const InboundMessage& message);
};

struct HttpAnswer {
    int status = 200;
    std::string content_type = "text/plain";
    std::string body;
    std::string outcome;  ///< "ok", "bad_signature", "stale", ... (metrics label)
};

class CallbackHandler final {
public:
    struct Options {
        int max_clock_skew_s = 300;  ///< 0: no freshness check
        std::size_t max_body_bytes = 64 * 1024;
        /// Our app's AgentId: a message that names another agent is refused ("" = any).
        std::string agent_id;
    };
    /// Longest echostr plaintext answered (WeCom sends a short random number).
    static constexpr std::size_t kMaxEchoBytes = 128;

    CallbackHandler(const WecomCrypto& crypto, MessageHandler& handler, const Clock& clock,
                    Random& random, Options options);

    /// GET: query has msg_signature, timestamp, nonce, echostr (already URL-decoded once).
    /// Answers the plaintext only when it looks like WeCom's echo (letters and digits, at most
    /// kMaxEchoBytes), never anything else signed with our key (e.g. a captured passive reply:
    /// the endpoint must not be a decryption oracle).
    HttpAnswer Verify(const std::map<std::string, std::string>& query) const;
    /// Hands a job back to the caller's own context (the connection's event-loop strand).
    using Post = std::function<void(std::function<void()>)>;
    /// POST: query has msg_signature, timestamp, nonce. `done` gets the answer once the
    /// message is processed (at once, on this thread, for a refusal). The reply is encrypted
    /// and `done` called inside `post`, so the handler's thread (the writer) does no crypto.
    void ReceiveAsync(const std::map<std::string, std::string>& query, std::string_view body,
                      std::function<void(HttpAnswer)> done, Post post) const;
    /// The same, waiting for the answer (tests, fuzzing).
    HttpAnswer Receive(const std::map<std::string, std::string>& query,
                       std::string_view body) const;

private:
    struct Opened {
        std::optional<InboundMessage> message;
        HttpAnswer refusal;  ///< when there is no message
    };
    /// Checks, verifies, decrypts and parses a POST (steps 1-5 of docs/architecture.md), then
    /// checks the inner envelope: ToUserName is our corp id, AgentID (when present) is ours,
    /// FromUserName is a member, not the corp id (our own passive replies fail this).
    Opened Open(const std::map<std::string, std::string>& query, std::string_view body) const;
    /// The encrypted passive reply to `to_user` for a processed message.
    HttpAnswer Answer(const std::string& to_user, const Result<PassiveReply>& reply) const;

    HttpAnswer Refuse(int status, std::string outcome, const std::string& detail) const;
    bool Fresh(std::string_view timestamp) const;

    const WecomCrypto& crypto_;
    MessageHandler& handler_;
    const Clock& clock_;
    Random& random_;
    Options options_;
};

}  // namespace wedesk::wecom
