#include "page.hpp"

namespace wedesk::reset::page {

namespace {

std::string Head(const std::string& title) {
    return "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta name=\"referrer\" content=\"no-referrer\">"
           "<title>" +
           Escape(title) +
           "</title><style>"
           "body{font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;"
           "margin:0;padding:16px;background:#f5f6f7;color:#222}"
           "main{max-width:420px;margin:0 auto;background:#fff;border-radius:8px;padding:20px}"
           "h1{font-size:20px;margin:0 0 12px}label{display:block;margin:12px 0 4px}"
           "input{width:100%;box-sizing:border-box;font-size:16px;padding:10px;"
           "border:1px solid #ccc;border-radius:6px}"
           "button{width:100%;margin-top:16px;padding:12px;font-size:16px;border:0;"
           "border-radius:6px;background:#1a73e8;color:#fff}"
           ".err{color:#c62828;background:#fdecea;padding:8px;border-radius:6px}"
           ".policy{font-size:14px;color:#555}"
           "</style></head><body><main>";
}

constexpr const char* kFoot = "</main></body></html>\n";

}  // namespace

std::string Escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string Message(const std::string& title, const std::string& text) {
    return Head(title) + "<h1>" + Escape(title) + "</h1><p>" + Escape(text) + "</p>" + kFoot;
}

std::string Form(const std::string& action_url, const std::string& account,
                 const std::string& policy, const std::string& error, int min_length,
                 const std::string& nonce) {
    std::string html =
        Head("设置新密码") + "<h1>设置新密码</h1><p>账号：<b>" + Escape(account) + "</b></p>";
    if (!error.empty()) {
        html += "<p class=\"err\" role=\"alert\">" + Escape(error) + "</p>";
    }
    html += "<p class=\"policy\">密码要求：" + Escape(policy) + "</p>";
    html += "<form method=\"post\" action=\"" + Escape(action_url) +
            "\" autocomplete=\"off\">"
            "<input type=\"hidden\" name=\"nonce\" value=\"" +
            Escape(nonce) +
            "\">"
            "<label for=\"password\">新密码</label>"
            "<input id=\"password\" name=\"password\" type=\"password\" required "
            "autocomplete=\"new-password\" minlength=\"" +
            std::to_string(min_length) +
            "\">"
            "<label for=\"confirm\">再次输入新密码</label>"
            "<input id=\"confirm\" name=\"confirm\" type=\"password\" required "
            "autocomplete=\"new-password\" minlength=\"" +
            std::to_string(min_length) +
            "\">"
            "<button type=\"submit\">确认修改</button></form>"
            "<p class=\"policy\">此链接仅可使用一次。如非本人操作，请立即联系IT。</p>";
    return html + kFoot;
}

}  // namespace wedesk::reset::page
