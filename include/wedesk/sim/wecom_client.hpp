#pragma once
/// SimClient: plays WeCom against a wedesk callback URL, exactly as WeCom does — builds the
/// inner XML of a message or event, encrypts it with the shared crypto module, signs it with a
/// fresh timestamp and nonce, POSTs it with a unique MsgId, and verifies and decrypts the
/// passive reply. Used by `wedesk sim chat|send`, the integration tests and the benchmark.

#include <cstdint>
#include <memory>
#include <string>

#include "wedesk/common/clock.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/result.hpp"
#include "wedesk/wecom/crypto.hpp"
#include "wedesk/wecom/message.hpp"

namespace httplib {
class Client;
}

namespace wedesk::sim {

struct SimReply {
    int status = 0;
    std::string raw_body;   ///< the HTTP body as received
    std::string msg_type;   ///< "text", "update_button", "" for an empty 200
    std::string content;    ///< decrypted text (or ReplaceName for update_button)
    std::string inner_xml;  ///< decrypted reply XML
};

class SimClient final {
public:
    /// `base_url` like "http://127.0.0.1:8080"; `callback_path` like "/wecom/callback".
    SimClient(std::string base_url, std::string callback_path, const wecom::WecomCrypto& crypto,
              int agent_id, const Clock& clock, Random& random);
    ~SimClient();

    /// A text message from `userid` (fresh MsgId).
    Result<SimReply> SendText(const std::string& userid, const std::string& text);
    /// An image with a fake MediaId.
    Result<SimReply> SendImage(const std::string& userid, const std::string& media_id);
    /// An image, voice (Format amr), video or file message carrying `media_id` (for a file,
    /// with FileName `file_name`).
    Result<SimReply> SendMedia(const std::string& userid, const std::string& type,
                               const std::string& media_id, const std::string& file_name = "");
    /// A template-card button click.
    /// `selected`: the card's selection, question key → chosen option id.
    Result<SimReply> ClickCard(
        const std::string& userid, const std::string& task_id, const std::string& event_key,
        const std::vector<std::pair<std::string, std::string>>& selected = {});
    /// An event (enter_agent, subscribe, click with key).
    Result<SimReply> SendEvent(const std::string& userid, const std::string& event,
                               const std::string& event_key = "");
    /// Any message; `msg.msg_id` empty → a fresh one, create_time 0 → now.
    Result<SimReply> Send(wecom::InboundMessage msg);
    /// Posts an already-built inner XML (retries, fuzzing, benchmarks).
    Result<SimReply> PostInner(const std::string& inner_xml);
    /// Builds the full signed request (query string and body) for an inner XML.
    struct Request {
        std::string path_and_query;
        std::string body;
    };
    Request BuildRequest(const std::string& inner_xml);
    /// Verifies and decrypts a passive reply as WeCom would (status and body of the answer).
    Result<SimReply> DecodeReply(int status, const std::string& body) const;
    /// GET URL verification with a random echo string; returns the answer body.
    Result<std::string> VerifyUrl(std::string* expected_echo = nullptr);

private:
    Result<SimReply> Post(const Request& request);
    std::string NextMsgId();

    std::string callback_path_;
    const wecom::WecomCrypto& crypto_;
    int agent_id_;
    const Clock& clock_;
    Random& random_;
    std::unique_ptr<httplib::Client> http_;
    std::uint64_t msg_counter_ = 0;
};

}  // namespace wedesk::sim
