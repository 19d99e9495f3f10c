#pragma once
/// FollowUp: the rest of a chat reply that needs a call to another system (the directory).
/// The step that needs the call records its intent, commits, and answers with an interim text;
/// the call runs after commit on the external pool (never inside a write transaction), and the
/// step that records its outcome hands the final text here. While the delivery is still
/// unanswered the final text becomes the passive reply; once the pipeline's wait is over (the
/// interim text went out), the outcome step sends it as an app message instead.
///
/// Sides: the pipeline Arm()s it after the intent committed and Expire()s it when its wait
/// ends; the outcome step Claim()s it inside its transaction and then Deliver()s (after
/// commit) or Abandon()s (rolled back). Thread-safe; every call may come from any thread.

#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace wedesk {

class FollowUp final {
public:
    struct Text {
        std::string text;
        bool sensitive = false;  ///< a link token or a temporary password
    };
    /// Called exactly once: with the final text, or with nothing (the interim reply stands).
    using Answer = std::function<void(std::optional<Text>)>;

    /// The delivery committed and waits for its answer.
    void Arm(Answer answer);
    /// The wait is over: answers with nothing unless the outcome step has claimed the reply.
    void Expire();
    /// Inside the outcome step: true when the final text may still be the passive reply (a
    /// Deliver or Abandon must follow); false when it is too late (send it as a message).
    bool Claim();
    /// After the outcome step committed (claimed only).
    void Deliver(Text text);
    /// The claimed outcome step failed: the interim reply stands. No effect otherwise.
    void Abandon();
    /// For a caller without a pipeline (the step ran in its own transaction, so the outcome
    /// may be known already): the delivered text, taken once.
    std::optional<Text> TakeIfDelivered();

private:
    enum class State { kPending, kClaimed, kDelivered, kAnswered };
    void Finish(std::unique_lock<std::mutex>& lock, std::optional<Text> text);

    std::mutex mu_;  // guards everything below
    State state_ = State::kPending;
    Answer answer_;
    std::optional<Text> text_;  // kDelivered: waiting for Arm
};

}  // namespace wedesk
