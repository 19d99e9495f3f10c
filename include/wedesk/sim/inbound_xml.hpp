#pragma once
/// The inner XML of an inbound message exactly as WeCom sends it (element order of developer
/// docs 90239/90240): what `wedesk sim`, the tests and the benchmark encrypt and POST. The
/// production side only parses (wecom::ParseInbound); building is the simulator's business.

#include <string>

#include "wedesk/wecom/message.hpp"

namespace wedesk::sim {

/// A parsed message rebuilds as it came (raw type and event names are kept when they agree
/// with the typed values, e.g. "CLICK").
std::string BuildInboundXml(const wecom::InboundMessage& msg);

}  // namespace wedesk::sim
