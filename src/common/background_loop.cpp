#include "wedesk/common/background_loop.hpp"

#include <exception>

#include "wedesk/common/log.hpp"
#include "wedesk/common/thread_name.hpp"

namespace wedesk {

BackgroundLoop::BackgroundLoop(std::string name, std::chrono::milliseconds poll,
                               std::function<void()> pass)
    : name_(std::move(name)), poll_(poll), pass_(std::move(pass)) {}

BackgroundLoop::~BackgroundLoop() { Stop(); }

void BackgroundLoop::Start() {
    if (thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mu_);
        stop_ = false;
        kicked_ = true;
    }
    thread_ = std::thread([this] {
        SetThreadName(name_.c_str());
        Loop();
    });
}

void BackgroundLoop::Kick() {
    {
        std::lock_guard lock(mu_);
        kicked_ = true;
    }
    cv_.notify_one();
}

void BackgroundLoop::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void BackgroundLoop::Loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
        cv_.wait_for(lock, poll_, [this] { return stop_ || kicked_; });
        if (stop_) {
            break;
        }
        kicked_ = false;
        lock.unlock();
        try {
            pass_();
        } catch (const std::exception& e) {
            log::Get("app")->error("{} pass failed: {}", name_, e.what());
        }
        lock.lock();
    }
}

}  // namespace wedesk
