// wecom::TemplateCard: a neutral Card as WeCom's button_interaction template card.
#include "wedesk/wecom/card.hpp"

#include <catch2/catch.hpp>

using wedesk::Card;
using wedesk::wecom::TemplateCard;

TEST_CASE("a card renders as a button_interaction template card", "[unit]") {
    Card c;
    c.id = "t-IT20261123-0001-1";
    c.source = "IT服务台";
    c.title = "新工单 IT20261123-0001";
    c.subtitle = "打印机 · P3 一般";
    c.text = "三楼打印机卡纸";
    c.fields = {{"报修人", "张三"}, {"优先级", "P3"}};
    c.buttons = {{"ticket_accept:IT20261123-0001", "接单", true},
                 {"ticket_transfer:IT20261123-0001", "转派", false}};
    const auto j = TemplateCard(c);
    CHECK(j["card_type"] == "button_interaction");
    CHECK(j["task_id"] == "t-IT20261123-0001-1");
    CHECK(j["source"]["desc"] == "IT服务台");
    CHECK(j["main_title"]["title"] == "新工单 IT20261123-0001");
    CHECK(j["main_title"]["desc"] == "打印机 · P3 一般");
    CHECK(j["sub_title_text"] == "三楼打印机卡纸");
    REQUIRE(j["horizontal_content_list"].size() == 2);
    CHECK(j["horizontal_content_list"][0]["keyname"] == "报修人");
    CHECK(j["horizontal_content_list"][0]["value"] == "张三");
    REQUIRE(j["button_list"].size() == 2);
    CHECK(j["button_list"][0]["type"] == 0);  // a callback button
    CHECK(j["button_list"][0]["style"] == 1);
    CHECK(j["button_list"][0]["key"] == "ticket_accept:IT20261123-0001");
    CHECK(j["button_list"][0]["text"] == "接单");
    CHECK(j["button_list"][1]["style"] == 2);
}

TEST_CASE("a card leaves out what it does not have", "[unit]") {
    Card c;
    c.id = "x";
    c.title = "t";
    const auto j = TemplateCard(c);
    CHECK_FALSE(j.contains("source"));
    CHECK_FALSE(j["main_title"].contains("desc"));
    CHECK_FALSE(j.contains("sub_title_text"));
    CHECK_FALSE(j.contains("horizontal_content_list"));
    CHECK(j["button_list"].is_array());
    CHECK(j["button_list"].empty());
}

TEST_CASE("a card's selection renders as button_selection", "[unit]") {
    Card c;
    c.id = "my-1";
    c.title = "我的工单";
    c.selection = Card::Selection{"no",
                                  "工单",
                                  {{"IT20261123-0002", "IT20261123-0002 处理中"},
                                   {"IT20261123-0001", "IT20261123-0001 已解决"}},
                                  "IT20261123-0002"};
    c.buttons = {{"my_view", "查看", true}, {"my_urge", "催办", false}};
    const auto j = TemplateCard(c);
    const auto& sel = j["button_selection"];
    CHECK(sel["question_key"] == "no");
    CHECK(sel["title"] == "工单");
    CHECK(sel["selected_id"] == "IT20261123-0002");
    REQUIRE(sel["option_list"].size() == 2);
    CHECK(sel["option_list"][1]["id"] == "IT20261123-0001");
    CHECK(sel["option_list"][1]["text"] == "IT20261123-0001 已解决");
    CHECK_FALSE(TemplateCard(Card{}).contains("button_selection"));
}
