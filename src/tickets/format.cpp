// Renderings of tickets and stats: JSON for --json output, short Chinese text for chat.
#include <cstdio>
#include <string>

#include "tickets/internal.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/tickets/sla.hpp"
#include "wedesk/tickets/ticket_service.hpp"

namespace wedesk::tickets {

namespace {

std::string Short(const std::string& s, std::size_t bytes) {
    std::string out = text::TruncateUtf8(s, bytes);
    return out.size() < s.size() ? out + "…" : out;
}

std::string EventWords(const std::string& kind) {
    static const std::pair<const char*, const char*> kWords[] = {
        {"created", "提交工单"},     {"assigned", "分派"},    {"redispatched", "改派"},
        {"accepted", "接单"},        {"transferred", "转派"}, {"note", "备注"},
        {"waiting", "请您补充信息"}, {"replied", "回复"},     {"info", "报修人补充"},
        {"message", "工程师留言"},   {"resolved", "已解决"},  {"reopened", "重开"},
        {"cancelled", "取消"},       {"urged", "催办"},       {"rated", "评价"},
        {"attachment", "补充附件"},  {"closed", "关闭"},      {"sla_warning", "时限预警"},
        {"sla_breach", "超出时限"},
    };
    for (const auto& [k, w] : kWords) {
        if (kind == k) {
            return w;
        }
    }
    return kind;
}

std::string Fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace

nlohmann::json ToJson(const Ticket& t) {
    nlohmann::json attachments = nlohmann::json::array();
    for (const auto& a : t.attachments) {
        attachments.push_back({{"id", a.id},
                               {"media_id", a.media_id},
                               {"type", a.type},
                               {"file_name", a.file_name},
                               {"added_by", a.added_by},
                               {"added_at", a.added_at},
                               {"state", a.state},
                               {"path", a.path},
                               {"size_bytes", a.size_bytes},
                               {"sha256", a.sha256},
                               {"content_type", a.content_type},
                               {"error", a.error}});
    }
    return {{"no", t.no},
            {"requester", t.requester},
            {"category", t.category},
            {"category_name", t.category_name},
            {"group", t.group},
            {"description", t.description},
            {"priority", t.priority},
            {"status", std::string(StatusKey(t.status))},
            {"status_words", std::string(StatusWords(t.status))},
            {"assignee", t.assignee},
            {"assignee_name", t.assignee_name},
            {"created_at", t.created_at},
            {"updated_at", t.updated_at},
            {"assigned_at", t.assigned_at},
            {"accepted_at", t.accepted_at},
            {"resolved_at", t.resolved_at},
            {"closed_at", t.closed_at},
            {"response_due", t.response_due},
            {"resolve_due", t.resolve_due},
            {"paused", t.paused},
            {"resolution", t.resolution},
            {"rating", t.rating ? nlohmann::json(*t.rating) : nlohmann::json(nullptr)},
            {"rating_comment", t.rating_comment},
            {"attachments", attachments}};
}

nlohmann::json ToJson(const TicketEvent& e) {
    return {{"at", e.at},
            {"actor", e.actor},
            {"actor_name", e.actor_name},
            {"kind", e.kind},
            {"detail", e.detail}};
}

nlohmann::json ToJson(const TicketDetail& d) {
    nlohmann::json j = ToJson(d.ticket);
    j["events"] = nlohmann::json::array();
    for (const auto& e : d.events) {
        j["events"].push_back(ToJson(e));
    }
    return j;
}

nlohmann::json ToJson(const TicketStats& s) {
    nlohmann::json sla = nlohmann::json::object();
    for (const auto& [p, v] : s.sla) {
        sla[p] = {{"response_met", v.response_met},
                  {"response_breached", v.response_breached},
                  {"resolve_met", v.resolve_met},
                  {"resolve_breached", v.resolve_breached}};
    }
    nlohmann::json load = nlohmann::json::array();
    for (const auto& l : s.load) {
        load.push_back(
            {{"userid", l.userid}, {"name", l.name}, {"on_duty", l.on_duty}, {"open", l.open}});
    }
    return {{"by_status", s.by_status},
            {"sla", sla},
            {"accepted_count", s.accepted_count},
            {"mean_accept_min", s.mean_accept_min},
            {"resolved_count", s.resolved_count},
            {"mean_resolve_min", s.mean_resolve_min},
            {"csat_count", s.csat_count},
            {"csat_avg", s.csat_avg},
            {"engineer_load", load}};
}

std::string FormatStats(const TicketStats& s) {
    std::string out = "Tickets by status:\n";
    for (const auto& [k, v] : s.by_status) {
        out += "  " + k + ": " + std::to_string(v) + "\n";
    }
    out += "SLA (met/breached):\n";
    for (const auto& [p, v] : s.sla) {
        out += "  " + p + ": response " + std::to_string(v.response_met) + "/" +
               std::to_string(v.response_breached) + ", resolve " + std::to_string(v.resolve_met) +
               "/" + std::to_string(v.resolve_breached) + "\n";
    }
    out += "Mean time to accept: " + Fixed(s.mean_accept_min, 1) + " min (" +
           std::to_string(s.accepted_count) + " tickets)\n";
    out += "Mean time to resolve: " + Fixed(s.mean_resolve_min, 1) + " min (" +
           std::to_string(s.resolved_count) + " tickets)\n";
    out += "CSAT: " + Fixed(s.csat_avg, 2) + " (" + std::to_string(s.csat_count) + " ratings)\n";
    out += "Open load per engineer:\n";
    for (const auto& l : s.load) {
        out += "  " + l.userid + (l.name.empty() ? "" : " (" + l.name + ")") + ": " +
               std::to_string(l.open) + (l.on_duty ? " [on duty]" : "") + "\n";
    }
    return out;
}

std::string FormatDetail(const TicketDetail& d, std::int64_t utc_offset_s, Audience audience) {
    const Ticket& t = d.ticket;
    const bool staff = audience == Audience::kStaff;
    std::string out = "工单 " + t.no + "\n状态：" +
                      std::string(staff ? StatusWords(t.status) : EmployeeStatusWords(t.status));
    if (!t.assignee.empty()) {
        out += "（处理人：" + t.assignee_name + "）";
    }
    out += "\n分类：" + t.category_name;
    out += staff ? "　优先级：" + t.priority : "　紧急程度：" + detail::PriorityWords(t.priority);
    out += "\n提交：" + sla::LocalDateTime(utc_offset_s, t.created_at);
    out += "\n描述：" + Short(t.description, 600);
    if (!t.attachments.empty()) {
        out += "\n附件：" + std::to_string(t.attachments.size()) + " 个（回复 附件 " + t.no +
               " 获取）";
    }
    if (!t.resolution.empty()) {
        out += "\n处理结果：" + Short(t.resolution, 300);
    }
    if (t.rating) {
        out += "\n评价：" + std::to_string(*t.rating) + " 星";
    }
    if (!d.events.empty()) {
        out += "\n进展：";
        for (const auto& e : d.events) {
            out += "\n" + sla::LocalDateTime(utc_offset_s, e.at) + " " + e.actor_name + " " +
                   EventWords(e.kind);
            std::string detail = e.detail;
            if (!staff && e.kind == "created") {
                // "电脑 · P3": the employee sees urgency words, not the priority code.
                const std::string mark = " · P";
                const auto at = detail.find(mark);
                if (at != std::string::npos && at + mark.size() < detail.size()) {
                    const auto code = detail.substr(at + mark.size() - 1, 2);
                    detail = detail.substr(0, at) + " · " + detail::PriorityWords(code) +
                             detail.substr(at + mark.size() + 1);
                }
            }
            if (!detail.empty()) {
                out += "：" + Short(detail, 120);
            }
        }
    }
    return out;
}

std::string FormatList(const std::vector<Ticket>& tickets, Audience audience) {
    std::string out;
    for (const auto& t : tickets) {
        if (!out.empty()) {
            out += "\n";
        }
        if (audience == Audience::kStaff) {
            out += t.no + " 【" + std::string(StatusWords(t.status)) + "】" + t.priority + " " +
                   Short(t.description, 45);
        } else {
            out += t.no + " 【" + std::string(EmployeeStatusWords(t.status)) + "】" +
                   Short(t.description, 45);
        }
    }
    return out;
}

}  // namespace wedesk::tickets
