#pragma once
/// TestServer: a real wedesk (ServerApp) on a loopback port with its own SQLite file in a
/// temp dir, a fake clock, and a SimClient that plays WeCom against it over HTTP.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "fakes/fake_clock.hpp"
#include "fakes/temp_dir.hpp"
#include "wedesk/app/server_app.hpp"
#include "wedesk/config/config.hpp"
#include "wedesk/sim/wecom_client.hpp"
#include "wedesk/sim/api_emulator.hpp"
#include "wedesk/wecom/crypto.hpp"

namespace wedesk::testing {

/// The published interop vectors (tests/data/wecom_vectors.json).
const nlohmann::json& Vectors();

/// A valid config JSON for tests: vector credentials, database in `dir`, port 0.
nlohmann::json BaseConfigJson(const std::string& dir);

class TestServer {
public:
    /// `patch` is merged into the base config (RFC 7386 merge patch). `start_unix_seconds` sets
    /// the fake clock's start (e.g. the real time, for peers that sign with the real clock).
    /// `background_threads` false: the outbox worker and ticket ticker do not run on their own;
    /// the test drives them with app().RunBackgroundOnce() so the fake clock decides what is due.
    explicit TestServer(const nlohmann::json& patch = nlohmann::json::object(),
                        std::optional<std::int64_t> start_unix_seconds = std::nullopt,
                        bool background_threads = true);
    ~TestServer();

    void Restart();  ///< stop and start again on the same database file (new port)
    void Stop();

    std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int port() const { return port_; }
    sim::SimClient& client() { return *client_; }
    /// Another client playing WeCom against this server (one per thread: SimClient is not
    /// thread-safe). Valid until the next Restart()/Stop().
    std::unique_ptr<sim::SimClient> MakeClient();
    FakeClock& clock() { return clock_; }
    const config::Config& config() const { return config_; }
    const std::string& db_path() const { return config_.database.path; }
    app::ServerApp& app() { return *app_; }
    sim::ApiEmulator& api() { return *api_; }
    /// Imports people from CSV text (header userid,name,mobile,account,department,role,groups).
    void ImportUsers(const std::string& csv);
    /// SELECT COUNT(*) over a fresh connection to the database file.
    long long Count(const std::string& table, const std::string& where = "1=1") const;

private:
    void Start();

    TempDir dir_;
    FakeClock clock_;
    std::unique_ptr<sim::ApiEmulator> api_;
    OpenSslRandom random_;
    config::Config config_;
    std::unique_ptr<wecom::WecomCrypto> crypto_;
    std::unique_ptr<app::ServerApp> app_;
    std::unique_ptr<sim::SimClient> client_;
    int port_ = 0;
    bool background_threads_ = true;
};

}  // namespace wedesk::testing
