#pragma once
/// Logging: one spdlog logger per module, all writing to the same sinks. `Setup` is called once
/// by app/ from the `log` config section; before that, loggers write text to stderr.

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace wedesk::log {

/// The logger of a module ("callback", "bot", ...), created on first use.
std::shared_ptr<spdlog::logger> Get(const std::string& module);

/// Configures level ("trace".."off") and format ("text" or "json"), optionally into a file.
/// Returns false (and changes nothing) when the level or format is unknown.
bool Setup(const std::string& level, const std::string& format, const std::string& file = "");

}  // namespace wedesk::log
