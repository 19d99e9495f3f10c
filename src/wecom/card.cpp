#include "wedesk/wecom/card.hpp"

namespace wedesk::wecom {

nlohmann::json TemplateCard(const Card& card) {
    nlohmann::json out = {{"card_type", "button_interaction"}, {"task_id", card.id}};
    if (!card.source.empty()) {
        out["source"] = {{"desc", card.source}};
    }
    out["main_title"] = {{"title", card.title}};
    if (!card.subtitle.empty()) {
        out["main_title"]["desc"] = card.subtitle;
    }
    if (!card.text.empty()) {
        out["sub_title_text"] = card.text;
    }
    if (!card.fields.empty()) {
        auto rows = nlohmann::json::array();
        for (const auto& [label, value] : card.fields) {
            rows.push_back({{"keyname", label}, {"value", value}});
        }
        out["horizontal_content_list"] = std::move(rows);
    }
    if (card.selection) {
        const auto& sel = *card.selection;
        auto options = nlohmann::json::array();
        for (const auto& [id, label] : sel.options) {
            options.push_back({{"id", id}, {"text", label}});
        }
        out["button_selection"] = {
            {"question_key", sel.key}, {"title", sel.title}, {"option_list", std::move(options)}};
        if (!sel.selected.empty()) {
            out["button_selection"]["selected_id"] = sel.selected;
        }
    }
    auto buttons = nlohmann::json::array();
    for (const auto& b : card.buttons) {
        buttons.push_back(
            {{"type", 0}, {"text", b.text}, {"style", b.primary ? 1 : 2}, {"key", b.key}});
    }
    out["button_list"] = std::move(buttons);
    return out;
}

}  // namespace wedesk::wecom
