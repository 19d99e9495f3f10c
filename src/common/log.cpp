#include "wedesk/common/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <vector>

namespace wedesk::log {

namespace {

struct State {
    std::mutex mu;
    std::vector<spdlog::sink_ptr> sinks;
    spdlog::level::level_enum level = spdlog::level::info;
    std::string pattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v";
};

State& GetState() {
    static State s;
    return s;
}

// JSON lines: `%*` is our flag that writes the message with JSON string escaping.
constexpr const char* kJsonPattern =
    R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","module":"%n","msg":"%*"})";

class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        static constexpr char kHex[] = "0123456789abcdef";
        for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
            const auto u = static_cast<unsigned char>(c);
            if (c == '"' || c == '\\') {
                dest.push_back('\\');
                dest.push_back(c);
            } else if (u < 0x20) {
                const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
                dest.append(esc, esc + sizeof(esc));
            } else {
                dest.push_back(c);
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonEscapedMessage>();
    }
};

std::unique_ptr<spdlog::formatter> MakeFormatter(const std::string& pattern) {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<JsonEscapedMessage>('*').set_pattern(pattern);
    return f;
}

}  // namespace

std::shared_ptr<spdlog::logger> Get(const std::string& module) {
    State& s = GetState();
    std::lock_guard lock(s.mu);
    if (auto existing = spdlog::get(module)) {
        return existing;
    }
    if (s.sinks.empty()) {
        s.sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    }
    auto logger = std::make_shared<spdlog::logger>(module, s.sinks.begin(), s.sinks.end());
    logger->set_level(s.level);
    logger->set_formatter(MakeFormatter(s.pattern));
    spdlog::register_logger(logger);
    return logger;
}

bool Setup(const std::string& level, const std::string& format, const std::string& file) {
    const auto lvl = spdlog::level::from_str(level);
    if (lvl == spdlog::level::off && level != "off") {
        return false;
    }
    std::string pattern;
    if (format == "text") {
        pattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v";
    } else if (format == "json") {
        pattern = kJsonPattern;
    } else {
        return false;
    }
    State& s = GetState();
    std::lock_guard lock(s.mu);
    s.sinks.clear();
    if (file.empty()) {
        s.sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
        s.sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
    }
    s.level = lvl;
    s.pattern = pattern;
    spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
        l->sinks() = s.sinks;
        l->set_level(lvl);
        l->set_formatter(MakeFormatter(pattern));
    });
    return true;
}

}  // namespace wedesk::log
