// libFuzzer target: chat command and intent recognition (bot::ParseCommand, Classify,
// ParseChoice, ParseBareScore, LeadingTicketNo) and the text helpers they are built on. The whole
// input is one chat line; its first byte also picks the byte limit for TruncateUtf8. Checks
// invariants, not just absence of crashes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wedesk/bot/command.hpp"
#include "wedesk/bot/intent.hpp"
#include "wedesk/common/text.hpp"

namespace {

using wedesk::bot::Command;
using wedesk::bot::CommandKind;

void Check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "invariant violated: %s\n", what);
        std::abort();
    }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsTicketNo(std::string_view no) {
    if (no.size() != 15 || no.substr(0, 2) != "IT" || no[10] != '-') {
        return false;
    }
    for (std::size_t i = 2; i < 15; ++i) {
        if (i != 10 && !IsDigit(no[i])) {
            return false;
        }
    }
    return true;
}

// The same command, up to the folding of its argument (arguments are kept as typed).
bool SameCommand(const Command& a, const Command& b) {
    return a.kind == b.kind && a.ticket_no == b.ticket_no &&
           wedesk::text::FoldFullWidth(a.arg) == wedesk::text::FoldFullWidth(b.arg) &&
           a.score == b.score && a.bad_score == b.bad_score && a.missing_ticket == b.missing_ticket;
}

void CheckText(std::string_view s, std::size_t max_bytes) {
    namespace text = wedesk::text;
    const bool valid = text::IsValidUtf8(s);

    const std::string cut = text::TruncateUtf8(s, max_bytes);
    Check(cut.size() <= max_bytes || cut.size() == s.size(), "TruncateUtf8 respects the limit");
    Check(s.substr(0, cut.size()) == cut, "TruncateUtf8 returns a prefix");
    if (s.size() <= max_bytes) {
        Check(cut.size() == s.size(), "TruncateUtf8 keeps short input whole");
    }
    if (valid) {
        Check(text::IsValidUtf8(cut), "TruncateUtf8 keeps valid UTF-8 valid");
        Check(cut.size() + 3 >= std::min(max_bytes, s.size()), "TruncateUtf8 cuts at most 3 more");
    }

    const std::string folded = text::FoldFullWidth(s);
    Check(folded.size() <= s.size(), "FoldFullWidth never grows");
    Check(text::FoldFullWidth(folded) == folded, "FoldFullWidth is idempotent");
    if (valid) {
        Check(text::IsValidUtf8(folded), "FoldFullWidth keeps valid UTF-8 valid");
        Check(text::Utf8Length(folded) == text::Utf8Length(s), "FoldFullWidth maps 1:1");
    }

    const std::string trimmed = text::Trim(s);
    Check(s.find(trimmed) != std::string_view::npos, "Trim returns a substring");
    Check(text::Trim(trimmed) == trimmed, "Trim is idempotent");
    if (valid) {
        Check(text::IsValidUtf8(trimmed), "Trim keeps valid UTF-8 valid");
    }

    const std::string lower = text::AsciiLower(s);
    Check(lower.size() == s.size(), "AsciiLower keeps the length");

    const std::string norm = text::NormalizeCommand(s);
    Check(text::NormalizeCommand(norm) == norm, "NormalizeCommand is idempotent");

    std::size_t lead_bytes = 0;
    for (char c : s) {
        lead_bytes += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    }
    const std::size_t len = text::Utf8Length(s);
    Check(len <= s.size(), "Utf8Length is at most the byte count");
    if (valid) {
        Check(len == lead_bytes, "Utf8Length counts code points");
    }
}

void CheckCommand(std::string_view s) {
    const Command c = wedesk::bot::ParseCommand(s);
    if (!c.ticket_no.empty()) {
        Check(IsTicketNo(c.ticket_no), "ticket_no is IT########-####");
        Check(!c.missing_ticket, "a command with a ticket number does not miss one");
    }
    Check(c.score >= 0 && c.score <= 5, "score in 0..5");
    Check(c.score == 0 || c.kind == CommandKind::kRate, "only ratings have a score");
    if (c.kind == CommandKind::kNone) {
        Check(c.ticket_no.empty() && c.arg.empty() && !c.missing_ticket, "free text is empty");
    }
    if (wedesk::text::IsValidUtf8(s)) {
        Check(wedesk::text::IsValidUtf8(c.arg), "arg of valid UTF-8 input is valid UTF-8");
        Check(s.find(c.arg) != std::string_view::npos, "arg is a part of the input, as typed");
    }
    Check(!(c.score != 0 && c.bad_score), "a score is either usable or refused");

    namespace bot = wedesk::bot;
    for (bool staff : {false, true}) {
        bot::IntentContext ctx;
        ctx.staff = staff;
        const bot::Intent i = bot::Classify(s, ctx);
        Check((i.kind == bot::IntentKind::kCommand) == (i.command.kind != CommandKind::kNone),
              "a command intent carries a command, and only it");
        if (!staff && i.kind == bot::IntentKind::kCommand) {
            Check(!bot::IsEngineerCommand(i.command.kind) || !i.command.ticket_no.empty(),
                  "engineer words without a ticket are no command for an employee");
        }
        Check(!bot::IntentLabel(i).empty(), "every intent has a label");
    }
    if (auto score = bot::ParseBareScore(s)) {
        Check(*score >= 0 && *score <= 5, "ParseBareScore in 0..5");
    }
    // Folding is the parser's first step, so pre-folded input must parse the same.
    const Command again = wedesk::bot::ParseCommand(wedesk::text::FoldFullWidth(s));
    Check(SameCommand(c, again), "ParseCommand(FoldFullWidth(s)) == ParseCommand(s)");

    if (auto choice = wedesk::bot::ParseChoice(s)) {
        Check(*choice >= 1 && *choice <= 9, "ParseChoice in 1..9");
    }
    if (auto no = wedesk::bot::LeadingTicketNo(s)) {
        Check(IsTicketNo(*no), "LeadingTicketNo is IT########-####");
        Check(wedesk::text::AsciiLower(s.substr(0, 15)) == wedesk::text::AsciiLower(*no),
              "LeadingTicketNo is the input's first 15 bytes");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view s(reinterpret_cast<const char*>(data), size);
    const std::size_t max_bytes = size == 0 ? 0 : data[0] % (size + 1);
    CheckText(s, max_bytes);
    CheckCommand(s);
    return 0;
}
