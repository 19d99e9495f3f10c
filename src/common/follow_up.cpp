#include "wedesk/common/follow_up.hpp"

#include <utility>

namespace wedesk {

// With the lock held: answers now if armed (outside the lock), or keeps the text for Arm.
void FollowUp::Finish(std::unique_lock<std::mutex>& lock, std::optional<Text> text) {
    if (!answer_) {
        state_ = text ? State::kDelivered : State::kAnswered;
        text_ = std::move(text);
        return;
    }
    state_ = State::kAnswered;
    Answer answer = std::move(answer_);
    answer_ = nullptr;
    lock.unlock();
    answer(std::move(text));
}

void FollowUp::Arm(Answer answer) {
    std::unique_lock lock(mu_);
    switch (state_) {
        case State::kPending:
        case State::kClaimed:
            answer_ = std::move(answer);
            return;
        case State::kDelivered: {
            state_ = State::kAnswered;
            auto text = std::move(text_);
            text_.reset();
            lock.unlock();
            answer(std::move(text));
            return;
        }
        case State::kAnswered:
            lock.unlock();
            answer(std::nullopt);
            return;
    }
}

void FollowUp::Expire() {
    std::unique_lock lock(mu_);
    if (state_ == State::kPending) {
        Finish(lock, std::nullopt);
    }
}

bool FollowUp::Claim() {
    std::lock_guard lock(mu_);
    if (state_ != State::kPending) {
        return false;
    }
    state_ = State::kClaimed;
    return true;
}

void FollowUp::Deliver(Text text) {
    std::unique_lock lock(mu_);
    if (state_ == State::kClaimed) {
        Finish(lock, std::move(text));
    }
}

void FollowUp::Abandon() {
    std::unique_lock lock(mu_);
    if (state_ == State::kClaimed) {
        Finish(lock, std::nullopt);
    }
}

std::optional<FollowUp::Text> FollowUp::TakeIfDelivered() {
    std::lock_guard lock(mu_);
    if (state_ != State::kDelivered) {
        return std::nullopt;
    }
    state_ = State::kAnswered;
    auto text = std::move(text_);
    text_.reset();
    return text;
}

}  // namespace wedesk
