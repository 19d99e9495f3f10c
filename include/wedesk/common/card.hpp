#pragma once
/// Card: an interactive message described neutrally (what it says, which buttons it offers),
/// for modules that notify people (tickets' dispatch card). How it looks on the wire is the
/// messenger's business: wecom::TemplateCard renders it as a WeCom "button_interaction"
/// template card; a button's key (and the chosen option of its selection) come back in the
/// click event.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wedesk {

struct Card {
    struct Button {
        std::string key;       ///< returned by the click event, e.g. "ticket_accept:IT…-0001"
        std::string text;      ///< the label
        bool primary = false;  ///< the main action (drawn highlighted)
    };

    /// A single choice shown above the buttons (WeCom: button_selection); the chosen option's
    /// id comes back with the click, under `key`.
    struct Selection {
        std::string key;                                           ///< the question's key
        std::string title;                                         ///< e.g. "工单"
        std::vector<std::pair<std::string, std::string>> options;  ///< id → text, 1..10
        std::string selected;                                      ///< preselected id
    };

    std::string id;        ///< unique per card: to match clicks and to update it later
    std::string source;    ///< who it is from ("IT服务台")
    std::string title;     ///< first line
    std::string subtitle;  ///< one line under the title
    std::string text;      ///< the body text
    std::vector<std::pair<std::string, std::string>> fields;  ///< label → value rows
    std::vector<Button> buttons;
    std::optional<Selection> selection;
};

}  // namespace wedesk
