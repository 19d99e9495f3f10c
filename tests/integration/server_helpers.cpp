#include "server_helpers.hpp"

#include <SQLiteCpp/Database.h>

#include "wedesk/schema/all.hpp"
#include "wedesk/store/database.hpp"
#include "wedesk/store/user_repository.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wedesk::testing {

const nlohmann::json& Vectors() {
    static const nlohmann::json v = [] {
        std::ifstream in(std::string(WEDESK_TEST_DATA_DIR) + "/wecom_vectors.json");
        std::stringstream ss;
        ss << in.rdbuf();
        return nlohmann::json::parse(ss.str());
    }();
    return v;
}

nlohmann::json BaseConfigJson(const std::string& dir) {
    const auto& c = Vectors()["config"];
    return {
        {"server",
         {{"host", "127.0.0.1"},
          {"port", 0},
          {"threads", 2},
          {"public_url", "http://127.0.0.1:8080"}}},
        {"wecom",
         {{"corp_id", c["corpid"]},
          {"agent_id", c["agentid"]},
          {"secret", "test-corp-secret"},
          {"token", c["token"]},
          {"encoding_aes_key", c["encoding_aes_key"]},
          {"api_base", "http://127.0.0.1:9"}}},
        {"database", {{"path", dir + "/wedesk.db"}}},
        {"log", {{"level", "warn"}}},
    };
}

TestServer::TestServer(const nlohmann::json& patch, std::optional<std::int64_t> start_unix_seconds,
                       bool background_threads)
    : background_threads_(background_threads) {
    if (start_unix_seconds) {
        clock_.Set(*start_unix_seconds);
    }
    auto j = BaseConfigJson(dir_.path().string());
    api_ = std::make_unique<sim::ApiEmulator>(j["wecom"]["corp_id"].get<std::string>(),
                                              j["wecom"]["secret"].get<std::string>(),
                                              j["wecom"]["agent_id"].get<int>());
    const int api_port = api_->Start("127.0.0.1", 0);
    if (api_port <= 0) {
        throw std::runtime_error("ApiEmulator did not start");
    }
    j["wecom"]["api_base"] = "http://127.0.0.1:" + std::to_string(api_port);
    j.merge_patch(patch);
    auto cfg = config::Parse(j.dump());
    if (!cfg.ok()) {
        throw std::runtime_error("test config: " + cfg.error().message);
    }
    config_ = std::move(cfg.value());
    auto crypto = wecom::WecomCrypto::Create(config_.wecom.token, config_.wecom.encoding_aes_key,
                                             config_.wecom.corp_id);
    if (!crypto.ok()) {
        throw std::runtime_error("test crypto: " + crypto.error().message);
    }
    crypto_ = std::make_unique<wecom::WecomCrypto>(std::move(crypto.value()));
    Start();
}

TestServer::~TestServer() {
    Stop();
    api_->Stop();
}

void TestServer::ImportUsers(const std::string& csv) {
    auto db = store::Database::Open(config_.database.path, wedesk::schema::All());
    store::UserRepository users(*db);
    auto r = users.ImportCsv(csv, clock_.NowSeconds());
    if (!r.ok()) {
        throw std::runtime_error("ImportUsers: " + r.error().message);
    }
}

void TestServer::Start() {
    auto app = app::ServerApp::Create(config_, &clock_);
    if (!app.ok()) {
        throw std::runtime_error("ServerApp::Create: " + app.error().message);
    }
    app_ = std::move(app.value());
    app_->SetBackgroundThreads(background_threads_);
    auto port = app_->Start();
    if (!port.ok()) {
        throw std::runtime_error("ServerApp::Start: " + port.error().message);
    }
    port_ = *port;
    client_ = std::make_unique<sim::SimClient>(BaseUrl(), config_.wecom.callback_path, *crypto_,
                                               config_.wecom.agent_id, clock_, random_);
}

std::unique_ptr<sim::SimClient> TestServer::MakeClient() {
    return std::make_unique<sim::SimClient>(BaseUrl(), config_.wecom.callback_path, *crypto_,
                                            config_.wecom.agent_id, clock_, random_);
}

void TestServer::Stop() {
    client_.reset();
    if (app_) {
        app_->Stop();
        app_.reset();
    }
}

void TestServer::Restart() {
    Stop();
    Start();
}

long long TestServer::Count(const std::string& table, const std::string& where) const {
    SQLite::Database db(config_.database.path, SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT COUNT(*) FROM " + table + " WHERE " + where).getInt64();
}

}  // namespace wedesk::testing
