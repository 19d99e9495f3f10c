#pragma once
// Private to sms/: endpoint URL parsing and an httplib client configured the same way for every
// provider (timeouts, certificate verification, no redirects).

#include <httplib.h>

#include <memory>
#include <string>

#include "wedesk/common/result.hpp"

namespace wedesk::sms::detail {

struct Endpoint {
    std::string scheme;       ///< "http" | "https"
    std::string host;         ///< without port
    int port = 0;             ///< explicit or the scheme's default
    std::string host_header;  ///< "host" or "host:port" when not the default (what httplib sends)
    std::string path;         ///< "/" when none
};

Result<Endpoint> ParseEndpoint(const std::string& url);

std::unique_ptr<httplib::Client> MakeClient(const Endpoint& ep, int timeout_s);

/// Short description of a transport failure, for logs and error messages.
std::string DescribeHttpError(httplib::Error e);

}  // namespace wedesk::sms::detail
