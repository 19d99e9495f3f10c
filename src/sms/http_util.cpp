#include "http_util.hpp"

namespace wedesk::sms::detail {

Result<Endpoint> ParseEndpoint(const std::string& url) {
    Endpoint ep;
    const auto sep = url.find("://");
    if (sep == std::string::npos) {
        return Fail(Errc::kConfig, "endpoint must start with http:// or https://");
    }
    ep.scheme = url.substr(0, sep);
    if (ep.scheme != "http" && ep.scheme != "https") {
        return Fail(Errc::kConfig, "endpoint must start with http:// or https://");
    }
    std::string rest = url.substr(sep + 3);
    const auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    ep.path = slash == std::string::npos ? "/" : rest.substr(slash);
    if (authority.empty() || authority.find('@') != std::string::npos) {
        return Fail(Errc::kConfig, "endpoint has no host");
    }
    const int default_port = ep.scheme == "https" ? 443 : 80;
    ep.port = default_port;
    const auto colon = authority.rfind(':');
    if (colon != std::string::npos && authority.find(']') == std::string::npos) {
        const std::string port = authority.substr(colon + 1);
        if (port.empty() || port.size() > 5 ||
            port.find_first_not_of("0123456789") != std::string::npos) {
            return Fail(Errc::kConfig, "endpoint has a bad port");
        }
        ep.port = std::stoi(port);
        if (ep.port <= 0 || ep.port > 65535) {
            return Fail(Errc::kConfig, "endpoint has a bad port");
        }
        authority = authority.substr(0, colon);
    }
    ep.host = authority;
    ep.host_header = ep.port == default_port ? ep.host : ep.host + ":" + std::to_string(ep.port);
    return ep;
}

std::unique_ptr<httplib::Client> MakeClient(const Endpoint& ep, int timeout_s) {
    auto client = std::make_unique<httplib::Client>(ep.scheme + "://" + ep.host + ":" +
                                                    std::to_string(ep.port));
    const time_t t = timeout_s > 0 ? timeout_s : 10;
    client->set_connection_timeout(t, 0);
    client->set_read_timeout(t, 0);
    client->set_write_timeout(t, 0);
    client->set_follow_location(false);
    if (ep.scheme == "https") {
        client->enable_server_certificate_verification(true);
    }
    return client;
}

std::string DescribeHttpError(httplib::Error e) { return httplib::to_string(e); }

}  // namespace wedesk::sms::detail
