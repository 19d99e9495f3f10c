#pragma once
// The built-in IT synonym groups (editable list in synonyms.cpp; admins add more at run time
// through KnowledgeBase::AddSynonyms). Terms in one group are equivalent for search. Common
// typos and homophones (油箱 for 邮箱, vnp for vpn) are listed as members of their group.

#include <string>
#include <vector>

namespace wedesk::kb {

const std::vector<std::vector<std::string>>& BuiltinSynonyms();

}  // namespace wedesk::kb
