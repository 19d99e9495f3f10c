#pragma once
// Query strings and application/x-www-form-urlencoded bodies: "a=1&b=x%2By" → {a:1, b:"x+y"}.
// '+' decodes to a space (form encoding); a malformed %-escape is kept as it is; the first
// value of a repeated key wins.

#include <map>
#include <string>
#include <string_view>

namespace wedesk::http {

std::string PercentDecode(std::string_view s);
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace wedesk::http
