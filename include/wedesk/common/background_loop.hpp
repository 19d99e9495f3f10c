#pragma once
/// BackgroundLoop: one named thread that runs `pass` when kicked and at least every `poll`.
/// Kicks during a pass cause one more pass; any number of kicks while idle cause one. `pass`
/// must not throw (exceptions are caught and logged, the loop goes on). Used for work that
/// talks to other systems after a commit, such as fetching attachments.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace wedesk {

class BackgroundLoop final {
public:
    BackgroundLoop(std::string name, std::chrono::milliseconds poll, std::function<void()> pass);
    ~BackgroundLoop();
    BackgroundLoop(const BackgroundLoop&) = delete;
    BackgroundLoop& operator=(const BackgroundLoop&) = delete;

    /// Starts the thread (no-op when running); the first pass runs at once.
    void Start();
    /// Asks for a pass soon. Cheap.
    void Kick();
    /// Lets a running pass finish, then joins. Idempotent.
    void Stop();

private:
    void Loop();

    const std::string name_;
    const std::chrono::milliseconds poll_;
    const std::function<void()> pass_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool kicked_ = true;  // guarded by mu_
    bool stop_ = false;   // guarded by mu_
    std::thread thread_;
};

}  // namespace wedesk
