// `wedesk sim ...`: a local WeCom for people without a tenant.
//   sim api   — the WeCom server API emulator, listening where wecom.api_base points;
//   sim send  — one message (or event, or card click) to the callback, prints the reply;
//   sim chat  — an interactive terminal client that also shows what the app pushed to the user
//               (polled from the emulator's /sim/messages).
#include <httplib.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "wedesk/common/clock.hpp"
#include "wedesk/common/log.hpp"
#include "wedesk/common/random.hpp"
#include "wedesk/common/text.hpp"
#include "wedesk/sim/api_emulator.hpp"
#include "wedesk/sim/wecom_client.hpp"
#include "wedesk/wecom/crypto.hpp"

namespace wedesk::app {

namespace {

using nlohmann::json;

struct SimArgs {
    std::string as_user;
    std::string text;
    std::string image;
    std::string event;
    std::string key;
    std::vector<std::string> click;  // TASK_ID KEY
};

/// "http://host:port" of the server in the config; a wildcard bind address is reached on
/// loopback.
std::string ServerBaseUrl(const config::Config& cfg) {
    std::string host = cfg.server.host;
    if (host.empty() || host == "0.0.0.0") {
        host = "127.0.0.1";
    } else if (host == "::") {
        host = "[::1]";
    } else if (host.find(':') != std::string::npos && host.front() != '[') {
        host = "[" + host + "]";
    }
    return "http://" + host + ":" + std::to_string(cfg.server.port);
}

/// Everything a sim command needs to talk to the server like WeCom does.
struct SimSession {
    config::Config cfg;
    std::unique_ptr<wecom::WecomCrypto> crypto;
    SystemClock clock;
    OpenSslRandom random;
    std::unique_ptr<sim::SimClient> client;
};

std::unique_ptr<SimSession> OpenSession(const CliContext& ctx, int* exit_code) {
    auto cfg = LoadConfigOrReport(ctx);
    if (!cfg) {
        *exit_code = 2;
        return nullptr;
    }
    log::Setup("warn", "text");
    auto s = std::make_unique<SimSession>();
    s->cfg = std::move(*cfg);
    auto crypto = wecom::WecomCrypto::Create(s->cfg.wecom.token, s->cfg.wecom.encoding_aes_key,
                                             s->cfg.wecom.corp_id);
    if (!crypto.ok()) {
        std::cerr << "wedesk: config error: wecom.encoding_aes_key: " << crypto.error().message
                  << "\n";
        *exit_code = 2;
        return nullptr;
    }
    s->crypto = std::make_unique<wecom::WecomCrypto>(std::move(crypto.value()));
    s->client =
        std::make_unique<sim::SimClient>(ServerBaseUrl(s->cfg), s->cfg.wecom.callback_path,
                                         *s->crypto, s->cfg.wecom.agent_id, s->clock, s->random);
    return s;
}

// --- sim send ---

int SimSend(const CliContext& ctx, const SimArgs& a) {
    const int kinds = (a.text.empty() ? 0 : 1) + (a.image.empty() ? 0 : 1) +
                      (a.event.empty() ? 0 : 1) + (a.click.empty() ? 0 : 1);
    if (kinds != 1) {
        std::cerr << "wedesk: sim send: give exactly one of TEXT, --image, --event, --click\n";
        return 2;
    }
    int code = 0;
    auto s = OpenSession(ctx, &code);
    if (!s) {
        return code;
    }
    Result<sim::SimReply> reply = Fail(Errc::kUnset, "");
    if (!a.text.empty()) {
        reply = s->client->SendText(a.as_user, a.text);
    } else if (!a.image.empty()) {
        reply = s->client->SendImage(a.as_user, a.image);
    } else if (!a.event.empty()) {
        reply = s->client->SendEvent(a.as_user, a.event, a.key);
    } else {
        reply = s->client->ClickCard(a.as_user, a.click[0], a.click[1]);
    }
    if (!reply.ok()) {
        std::cerr << "wedesk: sim send to " << ServerBaseUrl(s->cfg) << ": "
                  << reply.error().message << "\n";
        return 1;
    }
    if (reply->status != 200) {
        std::cerr << "wedesk: sim send: the server answered HTTP " << reply->status
                  << (reply->raw_body.empty() ? "" : ": " + reply->raw_body) << "\n";
        return 1;
    }
    if (!reply->content.empty()) {
        std::cout << reply->content << "\n";
    }
    return 0;
}

// --- sim api ---

int SimApi(const CliContext& ctx) {
    auto cfg = LoadConfigOrReport(ctx);
    if (!cfg) {
        return 2;
    }
    log::Setup(cfg->log.level, "text");
    // Block the stop signals in every thread; the main thread waits for them below.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    sim::ApiEmulator emu(cfg->wecom.corp_id, cfg->wecom.secret.Reveal(), cfg->wecom.agent_id);
    std::mutex out_mu;
    emu.SetOnMessage([&out_mu](const sim::ReceivedMessage& m) {
        std::lock_guard lock(out_mu);
        std::cout << "→ " << m.touser << ": " << sim::DescribeMessage(m.msgtype, m.body)
                  << std::endl;
    });
    if (emu.StartAt(cfg->wecom.api_base) < 0) {
        std::cerr << "wedesk: sim api: cannot listen at wecom.api_base " << cfg->wecom.api_base
                  << " (it must be http://host:port with a free port)\n";
        return 1;
    }
    {
        std::lock_guard lock(out_mu);
        std::cout << "WeCom API emulator listening on " << emu.BaseUrl() << " (corp "
                  << cfg->wecom.corp_id << ", agent " << cfg->wecom.agent_id << "); Ctrl-C stops it"
                  << std::endl;
    }
    int sig = 0;
    sigwait(&stop_signals, &sig);
    emu.Stop();
    std::lock_guard lock(out_mu);
    std::cout << "stopped" << std::endl;
    return 0;
}

// --- sim chat ---

struct Card {
    std::string userid;
    std::string task_id;
    std::string title;
    std::vector<std::pair<std::string, std::string>> buttons;  // text, key
    std::string question;                                      // the selection's key, if any
    std::vector<std::pair<std::string, std::string>> options;  // id, text
    std::string selected;                                      // preselected option id
};

const json& Member(const json& j, const char* key) {
    static const json kNull;
    if (!j.is_object()) {
        return kNull;
    }
    auto it = j.find(key);
    return it == j.end() ? kNull : *it;
}

std::string StrOf(const json& j, const char* key) {
    const auto& v = Member(j, key);
    return v.is_string() ? v.get<std::string>() : std::string();
}

class Chat final {
public:
    Chat(SimSession& s, std::string user) : s_(s), user_(text::AsciiLower(user)) {
        const auto& base = s_.cfg.wecom.api_base;
        if (base.rfind("http://", 0) == 0) {
            const auto slash = base.find('/', 7);
            poller_ = std::make_unique<httplib::Client>(base.substr(0, slash));
            prefix_ = slash == std::string::npos ? "" : base.substr(slash);
            if (!prefix_.empty() && prefix_.back() == '/') {
                prefix_.pop_back();
            }
            poller_->set_connection_timeout(1, 0);
            poller_->set_read_timeout(3, 0);
        }
        interactive_ = isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0;
    }

    int Run() {
        Out() << "wedesk sim chat: 以 " << user_ << " 的身份和 " << ServerBaseUrl(s_.cfg)
              << s_.cfg.wecom.callback_path << " 对话。/help 查看命令，/quit 退出。\n";
        if (!poller_) {
            Out() << "(wecom.api_base 不是本地模拟器，看不到应用推送的消息)\n";
        }
        Poll(/*show=*/false);
        Prompt();
        std::string buffer;
        char chunk[4096];
        while (true) {
            pollfd pfd{STDIN_FILENO, POLLIN, 0};
            const int ready = ::poll(&pfd, 1, kIdlePollMs);
            if (ready < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return 1;
            }
            if (ready == 0) {
                if (Poll(true)) {
                    Prompt();
                }
                continue;
            }
            const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) {
                    continue;
                }
                return 1;
            }
            if (n == 0) {  // EOF: the last unterminated line counts too
                if (!buffer.empty()) {
                    Handle(buffer);
                }
                Poll(true);
                if (interactive_) {
                    Out() << "\n";
                }
                return 0;
            }
            buffer.append(chunk, static_cast<std::size_t>(n));
            std::size_t nl;
            while ((nl = buffer.find('\n')) != std::string::npos) {
                std::string line = buffer.substr(0, nl);
                buffer.erase(0, nl + 1);
                if (!line.empty() && line.back() == '\r') {
                    line.pop_back();
                }
                if (!Handle(line)) {
                    return 0;
                }
                Prompt();
            }
        }
    }

private:
    static constexpr int kIdlePollMs = 1000;

    std::ostream& Out() { return std::cout; }

    void Prompt() {
        if (interactive_) {
            Out() << user_ << "> " << std::flush;
        } else {
            Out() << std::flush;
        }
    }

    /// False when the user asked to quit.
    bool Handle(const std::string& raw) {
        const std::string line = text::Trim(raw);
        if (line.empty()) {
            return true;
        }
        if (line[0] != '/') {
            Show(s_.client->SendText(user_, line));
            return true;
        }
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        std::vector<std::string> words;
        for (std::string w; in >> w;) {
            words.push_back(w);
        }
        if (cmd == "/quit" || cmd == "/exit" || cmd == "/q") {
            return false;
        }
        if (cmd == "/help" || cmd == "/?") {
            Help();
        } else if (cmd == "/as") {
            if (words.size() != 1) {
                Out() << "用法: /as USERID\n";
            } else {
                user_ = text::AsciiLower(words[0]);
                Out() << "现在以 " << user_ << " 的身份对话\n";
                Poll(true);
            }
        } else if (cmd == "/image" || cmd == "/file" || cmd == "/voice") {
            SendFile(cmd.substr(1), words);
        } else if (cmd == "/click") {
            Click(words);
        } else if (cmd == "/menu") {
            if (words.size() != 1) {
                Out() << "用法: /menu KEY（如 MENU_NEW_TICKET）\n";
            } else {
                Show(s_.client->SendEvent(user_, "click", words[0]));
            }
        } else if (cmd == "/event") {
            if (words.empty() || words.size() > 2) {
                Out() << "用法: /event NAME [KEY]（如 /event enter_agent）\n";
            } else {
                Show(s_.client->SendEvent(user_, words[0], words.size() == 2 ? words[1] : ""));
            }
        } else if (cmd == "/cards") {
            for (std::size_t i = 0; i < cards_.size(); ++i) {
                PrintCard(i);
            }
            if (cards_.empty()) {
                Out() << "(还没有收到卡片)\n";
            }
        } else {
            Out() << "未知命令 " << cmd << "，/help 查看命令\n";
        }
        return true;
    }

    /// /image [PATH|MEDIA_ID], /file PATH, /voice PATH: the file goes to the local emulator as
    /// the member's upload (POST /sim/media), then the message with its MediaId to wedesk, which
    /// fetches it with media/get like from WeCom.
    void SendFile(const std::string& type, const std::vector<std::string>& words) {
        const std::string word = type == "image" ? "图片" : type == "voice" ? "语音" : "文件";
        std::string bytes;
        std::string name;
        if (!words.empty()) {
            std::ifstream in(words[0], std::ios::binary);
            if (in) {
                std::ostringstream buf;
                buf << in.rdbuf();
                bytes = buf.str();
                name = std::filesystem::path(words[0]).filename().string();
            } else if (type != "image") {
                Out() << "读不到文件 " << words[0] << "\n";
                return;
            }
        } else if (type == "image") {
            bytes = SamplePng();
            name = "sim.png";
        } else {
            Out() << "用法: /" << type << " PATH\n";
            return;
        }
        std::string media = words.empty() ? "" : words[0];  // /image MEDIA_ID (no such file)
        if (!bytes.empty()) {
            media = UploadToSim(type, name, bytes);
            if (media.empty()) {
                Out() << "(无法把文件交给本地模拟器，wedesk 将取不到它)\n";
                media = "sim-media-" + s_.random.Alnum(16);
            }
        }
        Out() << "(发送" << word << " " << (name.empty() ? media : name) << ")\n";
        Show(s_.client->SendMedia(user_, type, media, name));
    }

    std::string UploadToSim(const std::string& type, const std::string& name,
                            const std::string& bytes) {
        if (!poller_) {
            return "";
        }
        const std::string content_type = type == "image"   ? "image/png"
                                         : type == "voice" ? "voice/amr"
                                                           : "application/octet-stream";
        const httplib::MultipartFormDataItems items = {{"media", bytes, name, content_type}};
        auto res = poller_->Post(prefix_ + "/sim/media?type=" + type, {}, items);
        if (!res || res->status != 200) {
            return "";
        }
        auto j = nlohmann::json::parse(res->body, nullptr, false);
        return j.is_object() ? j.value("media_id", "") : "";
    }

    /// A 1×1 PNG for /image without a file.
    static std::string SamplePng() {
        static const unsigned char kPng[] = {
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
            0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
            0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
            0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
            0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
        return std::string(reinterpret_cast<const char*>(kPng), sizeof kPng);
    }

    void Help() {
        Out() << "输入文字回车即发送给应用（如：帮助、报修 打印机卡纸、我的工单）。命令：\n"
                 "  /as USERID        切换身份\n"
                 "  /image [PATH]     发送一张图片（不带路径：一张示例图片）\n"
                 "  /file PATH        发送一个文件\n"
                 "  /voice PATH       发送一段语音（AMR）\n"
                 "  /click N [按钮] [选项]  点击第 N 张卡片的按钮（按钮序号、文字或 "
                 "key；只有一个时可省略；有选项的卡片可再给选项序号）\n"
                 "  /cards            列出收到的卡片\n"
                 "  /menu KEY         点击应用菜单（MENU_NEW_TICKET、MENU_MY_TICKETS、"
                 "MENU_RESET_PASSWORD）\n"
                 "  /event NAME [KEY] 发送事件（如 enter_agent）\n"
                 "  /help             本说明\n"
                 "  /quit             退出（Ctrl-D 也可以）\n";
    }

    void Click(const std::vector<std::string>& words) {
        if (words.empty() || words.size() > 3) {
            Out() << "用法: /click N [按钮] [选项]\n";
            return;
        }
        std::size_t n = 0;
        try {
            n = std::stoul(words[0]);
        } catch (const std::exception&) {
            n = 0;
        }
        if (n == 0 || n > cards_.size()) {
            Out() << "没有第 " << words[0] << " 张卡片（已收到 " << cards_.size() << " 张）\n";
            return;
        }
        const Card& card = cards_[n - 1];
        if (card.buttons.empty()) {
            Out() << "卡片 #" << n << " 没有按钮\n";
            return;
        }
        std::optional<std::size_t> pick;
        if (words.size() == 1) {
            if (card.buttons.size() == 1) {
                pick = 0;
            }
        } else {
            const auto& b = words[1];
            for (std::size_t i = 0; i < card.buttons.size(); ++i) {
                if (b == std::to_string(i + 1) || b == card.buttons[i].first ||
                    b == card.buttons[i].second) {
                    pick = i;
                    break;
                }
            }
        }
        if (!pick) {
            Out() << "请指定按钮：\n";
            PrintCard(n - 1);
            return;
        }
        const auto& [label, key] = card.buttons[*pick];
        if (card.userid != user_) {
            Out() << "(注意：这张卡片是发给 " << card.userid << " 的)\n";
        }
        // The selection: the option named by its number or id, else the preselected one.
        std::vector<std::pair<std::string, std::string>> chosen;
        if (!card.question.empty()) {
            std::string option = card.selected;
            if (words.size() == 3) {
                option.clear();
                for (std::size_t i = 0; i < card.options.size(); ++i) {
                    if (words[2] == std::to_string(i + 1) || words[2] == card.options[i].first) {
                        option = card.options[i].first;
                    }
                }
            }
            if (option.empty()) {
                Out() << "请指定选项：\n";
                PrintCard(n - 1);
                return;
            }
            chosen.emplace_back(card.question, option);
            Out() << "(选中「" << option << "」)\n";
        }
        Out() << "(点击卡片 #" << n << " 的「" << label << "」)\n";
        Show(s_.client->ClickCard(user_, card.task_id, key, chosen));
    }

    void Show(const Result<sim::SimReply>& reply) {
        if (!reply.ok()) {
            std::cerr << "[错误] " << reply.error().message << std::endl;
        } else if (reply->status != 200) {
            std::cerr << "[错误] 服务器回答 HTTP " << reply->status
                      << (reply->raw_body.empty() ? "" : ": " + reply->raw_body) << std::endl;
        } else if (reply->msg_type.empty()) {
            Out() << "IT服务: (没有被动回复)\n";
        } else if (reply->msg_type == "update_button") {
            Out() << "IT服务: [卡片按钮已变为「" << reply->content << "」]\n";
        } else {
            Out() << "IT服务: " << reply->content << "\n";
        }
        Out() << std::flush;
        Poll(true);
    }

    void PrintCard(std::size_t i) {
        const Card& c = cards_[i];
        Out() << "  卡片 #" << (i + 1) << " " << c.title << "\n";
        for (std::size_t o = 0; o < c.options.size(); ++o) {
            Out() << "    [" << (o + 1) << "] " << c.options[o].second
                  << (c.options[o].first == c.selected ? "（已选）" : "") << "\n";
        }
        for (std::size_t b = 0; b < c.buttons.size(); ++b) {
            Out() << "    (" << (b + 1) << ") " << c.buttons[b].first << "   → /click " << (i + 1)
                  << " " << (b + 1) << (c.options.empty() ? "" : " [选项序号]") << "\n";
        }
    }

    /// Fetches what the app pushed to the current user since the last poll. `show` false only
    /// skips the history at start. True when something was printed.
    bool Poll(bool show) {
        if (!poller_) {
            return false;
        }
        auto res = poller_->Get(httplib::append_query_params(
            prefix_ + "/sim/messages", {{"touser", user_}, {"after", std::to_string(After())}}));
        if (!res || res->status != 200) {
            if (!poll_warned_) {
                std::cerr << "[提示] 连不上模拟器 " << s_.cfg.wecom.api_base
                          << "/sim/messages（先运行 wedesk sim api），暂时看不到推送消息"
                          << std::endl;
                poll_warned_ = true;
            }
            return false;
        }
        poll_warned_ = false;
        const auto j = json::parse(res->body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            return false;
        }
        bool printed = false;
        const auto& messages = Member(j, "messages");
        if (show && messages.is_array()) {
            for (const auto& m : messages) {
                printed = PrintPush(m) || printed;
            }
        }
        const auto& last = Member(j, "last_seq");
        if (last.is_number_unsigned() || (last.is_number_integer() && last.get<long long>() >= 0)) {
            const auto seq = last.get<std::uint64_t>();
            if (!show) {
                start_seq_ = std::max(start_seq_, seq);
            }
            After() = std::max(After(), seq);
        }
        return printed;
    }

    /// On a terminal the prompt may be on the current line: start a fresh one.
    const char* PushMark() const { return interactive_ ? "\n[推送] " : "[推送] "; }

    std::uint64_t& After() { return after_.try_emplace(user_, start_seq_).first->second; }

    bool PrintPush(const json& m) {
        const auto msgtype = StrOf(m, "msgtype");
        const auto& body = Member(m, "body");
        if (msgtype == "template_card") {
            const auto& card = Member(body, "template_card");
            Card c;
            c.userid = user_;
            c.task_id = StrOf(card, "task_id");
            const auto& main = Member(card, "main_title");
            c.title = StrOf(main, "title");
            const auto desc = StrOf(main, "desc");
            if (!desc.empty()) {
                c.title += " — " + desc;
            }
            const auto& sel = Member(card, "button_selection");
            c.question = StrOf(sel, "question_key");
            c.selected = StrOf(sel, "selected_id");
            if (const auto& options = Member(sel, "option_list"); options.is_array()) {
                for (const auto& o : options) {
                    c.options.emplace_back(StrOf(o, "id"), StrOf(o, "text"));
                }
            }
            const auto& buttons = Member(card, "button_list");
            if (buttons.is_array()) {
                for (const auto& b : buttons) {
                    if (!StrOf(b, "key").empty()) {
                        c.buttons.emplace_back(StrOf(b, "text"), StrOf(b, "key"));
                    }
                }
            }
            cards_.push_back(std::move(c));
            Out() << PushMark() << "卡片 #" << cards_.size() << " " << cards_.back().title << "\n";
            const auto sub = StrOf(card, "sub_title_text");
            if (!sub.empty()) {
                Out() << "    " << sub << "\n";
            }
            const auto& fields = Member(card, "horizontal_content_list");
            if (fields.is_array()) {
                for (const auto& f : fields) {
                    Out() << "    " << StrOf(f, "keyname") << ": " << StrOf(f, "value") << "\n";
                }
            }
            const Card& added = cards_.back();
            for (std::size_t b = 0; b < added.buttons.size(); ++b) {
                Out() << "    (" << (b + 1) << ") " << added.buttons[b].first << "   → /click "
                      << cards_.size() << " " << (b + 1) << "\n";
            }
        } else {  // text, markdown, card updates: the emulator's readable rendering
            Out() << PushMark() << StrOf(m, "readable") << "\n";
        }
        Out() << std::flush;
        return true;
    }

    SimSession& s_;
    std::string user_;
    std::unique_ptr<httplib::Client> poller_;
    std::string prefix_;
    /// The emulator's sequence number when the chat started: earlier pushes are not shown.
    std::uint64_t start_seq_ = 0;
    /// Per user: pushes up to this sequence number were shown (so /as shows what that user got
    /// since the chat started).
    std::map<std::string, std::uint64_t> after_;
    bool poll_warned_ = false;
    bool interactive_ = false;
    std::vector<Card> cards_;
};

int SimChat(const CliContext& ctx, const SimArgs& a) {
    int code = 0;
    auto s = OpenSession(ctx, &code);
    if (!s) {
        return code;
    }
    return Chat(*s, a.as_user).Run();
}

}  // namespace

void AddSimCommands(CLI::App& cli, CliContext& ctx) {
    auto* sim = cli.add_subcommand(
        "sim", "local WeCom simulator: chat, send (as a WeCom user), api (the WeCom API emulator)");
    sim->fallthrough();
    sim->require_subcommand(1);
    auto args = std::make_shared<SimArgs>();

    auto* send = sim->add_subcommand(
        "send",
        "send one message to the server's callback (encrypted and signed exactly as WeCom does) "
        "and print the decrypted reply; exit 0 when the server answered 200");
    send->add_option("--as", args->as_user, "the WeCom UserID sending it")->required();
    send->add_option("TEXT", args->text, "the text message");
    send->add_option("--image", args->image, "send an image with this (fake) MediaId instead");
    auto* event = send->add_option("--event", args->event,
                                   "send an event instead (enter_agent, click, subscribe, ...)");
    send->add_option("--key", args->key, "the EventKey of the event (e.g. a menu key)")
        ->needs(event);
    send->add_option("--click", args->click, "click a template-card button: TASK_ID KEY")
        ->expected(2);
    send->callback([&ctx, args] { ctx.exit_code = SimSend(ctx, *args); });

    auto* chat = sim->add_subcommand(
        "chat",
        "interactive WeCom client in the terminal: each line is sent as text; replies are shown "
        "as 'IT服务: ...' and messages the app pushes (read from `wedesk sim api`) as "
        "'[推送] ...'. /help inside lists the commands (/as, /image, /click, /quit)");
    chat->add_option("--as", args->as_user, "the WeCom UserID to chat as")->required();
    chat->callback([&ctx, args] { ctx.exit_code = SimChat(ctx, *args); });

    auto* api = sim->add_subcommand(
        "api",
        "run a local emulator of the WeCom server API (gettoken, message/send, "
        "update_template_card, menu/create) where wecom.api_base points, printing every "
        "message it receives, until SIGINT/SIGTERM");
    api->callback([&ctx] { ctx.exit_code = SimApi(ctx); });
}

}  // namespace wedesk::app
