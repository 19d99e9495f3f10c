#pragma once
/// Renders a neutral Card as WeCom's "template_card" object of message/send, card type
/// button_interaction (developer docs 90236 "模板卡片消息"): source.desc, main_title.title/desc,
/// sub_title_text, horizontal_content_list (keyname/value), task_id, button_list
/// (type 0 = a callback button; style 1 = primary, 2 = secondary).

#include <nlohmann/json.hpp>

#include "wedesk/common/card.hpp"

namespace wedesk::wecom {

/// WeCom's limits are applied here (main title 26 characters and so on would be cut by the
/// client): texts are passed as they are, the caller keeps them short.
nlohmann::json TemplateCard(const Card& card);

}  // namespace wedesk::wecom
