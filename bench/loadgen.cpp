// wedesk_loadgen: the benchmark's load generator. It pre-builds distinct, signed and encrypted
// WeCom callbacks (unique MsgId, many users, a mix of help / my tickets / knowledge-base
// questions / complete create-ticket dialogs) with the same crypto WeCom uses, then replays them
// over keep-alive connections at fixed concurrency, or at a fixed total rate (open loop: latency
// is measured from the scheduled send time, so a stall is not hidden by coordinated omission).
//
// Every user belongs to one connection, and a connection sends one request at a time, so each
// user's messages arrive in order (a dialog step never overtakes the previous one).
// With the same --seed and --timestamp the requests are byte-identical from run to run, so
// wedesk and the reference peer get exactly the same callbacks.
//
//   wedesk_loadgen --config bench.jsonc [--url http://127.0.0.1:8081] --requests 50000
//                  --connections 8 [--rate 1000] [--mix help=20,my=20,kb=25,create=35]
//                  [--pid PID] [--label wedesk] [--seed 1]
// Prints a human summary on stderr and one JSON object on stdout.
#include <httplib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "wedesk/config/config.hpp"
#include "wedesk/sim/inbound_xml.hpp"
#include "wedesk/sim/wecom_client.hpp"
#include "wedesk/wecom/crypto.hpp"
#include "wedesk/wecom/message.hpp"

namespace {

using Steady = std::chrono::steady_clock;

/// Always the same instant: requests carry --timestamp, so runs are reproducible.
class FixedClock final : public wedesk::Clock {
public:
    explicit FixedClock(std::int64_t unix_seconds) : at_(std::chrono::seconds(unix_seconds)) {}
    TimePoint Now() const override { return at_; }

private:
    TimePoint at_;
};

/// Reproducible bytes for the AES prefix and nonces (a benchmark input, not a secret).
class SeededRandom final : public wedesk::Random {
public:
    explicit SeededRandom(std::uint64_t seed) : gen_(seed) {}
    void Fill(std::span<std::uint8_t> out) override {
        for (auto& b : out) {
            b = static_cast<std::uint8_t>(gen_() & 0xff);
        }
    }

private:
    std::mt19937_64 gen_;
};

// Questions that the sample knowledge base answers (tests/data/kb_queries.json), and problem
// descriptions that match no article, so the create dialog goes straight to the urgency step.
const char* const kKbQuestions[] = {
    "vpn连不上",      "wifi连不上",     "打印机打不出来",           "outlook收不到邮件",
    "会议室怎么投影", "邮件发不出去",   "想装个微信没有管理员权限", "打印机卡纸了",
    "VPN 连接失败",   "无线网连不上了", "腾讯会议摄像头打不开",     "内网系统访问不了",
    "附件太大发不了",
};
const char* const kDescriptions[] = {
    "机房空调告警，机柜 {} 温度偏高", "机房 UPS 电池告警 {}",
    "门禁刷卡器 {} 不识别工牌",       "机柜 {} 风扇告警",
    "工位 {} 的电源插座没电",
};

struct Mix {
    int help = 20;
    int my = 20;
    int kb = 25;
    int create = 35;
};

Mix ParseMix(const std::string& s) {
    if (s == "help") {
        return {100, 0, 0, 0};
    }
    Mix m{0, 0, 0, 0};
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) {
        const auto eq = item.find('=');
        if (eq == std::string::npos) {
            throw std::invalid_argument("--mix: expected name=weight, got " + item);
        }
        const std::string k = item.substr(0, eq);
        const int v = std::stoi(item.substr(eq + 1));
        if (k == "help") {
            m.help = v;
        } else if (k == "my") {
            m.my = v;
        } else if (k == "kb") {
            m.kb = v;
        } else if (k == "create") {
            m.create = v;
        } else {
            throw std::invalid_argument("--mix: unknown kind " + k);
        }
    }
    if (m.help + m.my + m.kb + m.create <= 0) {
        throw std::invalid_argument("--mix: all weights are zero");
    }
    return m;
}

std::string Fill(const char* pattern, const std::string& value) {
    std::string s(pattern);
    const auto at = s.find("{}");
    return at == std::string::npos ? s : s.replace(at, 2, value);
}

/// One user's next action: the texts it sends, in order.
std::vector<std::string> NextAction(const Mix& mix, const std::string& user, int serial,
                                    std::mt19937_64& rng, int* dialogs) {
    const int total = mix.help + mix.my + mix.kb + mix.create;
    int r = static_cast<int>(rng() % static_cast<std::uint64_t>(total));
    if ((r -= mix.help) < 0) {
        return {rng() % 2 == 0 ? "帮助" : "help"};
    }
    if ((r -= mix.my) < 0) {
        return {"我的工单"};
    }
    if ((r -= mix.kb) < 0) {
        // Ask, open the first suggested article, say it solved the problem.
        const auto q = kKbQuestions[rng() % std::size(kKbQuestions)];
        return {q, "1", "1"};
    }
    ++*dialogs;
    const auto d = kDescriptions[rng() % std::size(kDescriptions)];
    return {"报修", std::to_string(1 + rng() % 7), Fill(d, user + "-" + std::to_string(serial)),
            std::to_string(1 + rng() % 3), "确认"};
}

struct Prepared {
    std::vector<wedesk::sim::SimClient::Request> requests;
};

struct Options {
    std::string config_path;
    std::string url;
    int connections = 8;
    long long requests = 20000;
    long long warmup = 0;
    double rate = 0;
    std::string mix = "help=20,my=20,kb=25,create=35";
    int users = 2000;
    int user_offset = 0;
    std::uint64_t seed = 1;
    std::int64_t timestamp = 0;
    int pid = 0;
    std::string label = "target";
    int check = 3;
    int dump = 0;
};

struct ConnResult {
    std::vector<std::uint32_t> latency_us;
    long long ok = 0;
    long long non200 = 0;
    long long errors = 0;
    std::map<int, long long> statuses;
    std::vector<std::pair<int, std::string>> kept;  // first replies, decoded after the run
};

struct ProcSample {
    double cpu_s = 0;
    long vmhwm_kb = 0;
    long vmrss_kb = 0;
};

ProcSample ReadProc(int pid) {
    ProcSample s;
    if (pid <= 0) {
        return s;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close != std::string::npos) {
        std::istringstream in(line.substr(close + 2));
        std::vector<std::string> f;
        std::string w;
        while (in >> w) {
            f.push_back(w);
        }
        // After "pid (comm) ": state is field 3, utime 14, stime 15 → indexes 11 and 12.
        if (f.size() > 12) {
            const double tck = static_cast<double>(sysconf(_SC_CLK_TCK));
            s.cpu_s = (std::stod(f[11]) + std::stod(f[12])) / tck;
        }
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            s.vmhwm_kb = std::stol(line.substr(6));
        } else if (line.rfind("VmRSS:", 0) == 0) {
            s.vmrss_kb = std::stol(line.substr(6));
        }
    }
    return s;
}

double SelfCpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto tv = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return tv(u.ru_utime) + tv(u.ru_stime);
}

/// Exact percentile (nearest rank) of sorted samples, in milliseconds.
double Percentile(const std::vector<std::uint32_t>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    const auto n = sorted.size();
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    rank = std::clamp<std::size_t>(rank, 1, n);
    return sorted[rank - 1] / 1000.0;
}

/// Requests per connection: user i belongs to connection i % connections.
std::vector<Prepared> Build(const Options& o, const wedesk::wecom::WecomCrypto& crypto,
                            const std::string& callback_path, int agent_id, long long count,
                            std::uint64_t msgid_base, int* dialogs) {
    const Mix mix = ParseMix(o.mix);
    FixedClock clock(o.timestamp);
    SeededRandom random(o.seed * 7919 + msgid_base);
    std::mt19937_64 rng(o.seed * 104729 + msgid_base);
    wedesk::sim::SimClient builder("http://127.0.0.1:1", callback_path, crypto, agent_id, clock,
                                   random);
    std::vector<Prepared> out(static_cast<std::size_t>(o.connections));
    // Each user keeps a queue of the texts still to send for its current action.
    std::vector<std::vector<std::string>> pending(static_cast<std::size_t>(o.users));
    std::vector<std::size_t> next(static_cast<std::size_t>(o.users), 0);
    std::vector<int> serial(static_cast<std::size_t>(o.users), 0);
    wedesk::wecom::InboundMessage m;
    m.to_user = crypto.corp_id();
    m.type = wedesk::wecom::MsgType::kText;
    m.raw_type = "text";
    m.agent_id = std::to_string(agent_id);
    m.create_time = o.timestamp;
    for (long long i = 0; i < count; ++i) {
        const auto u = static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(o.users));
        char name[32];
        std::snprintf(name, sizeof name, "user%05d", static_cast<int>(u) + 1 + o.user_offset);
        if (next[u] >= pending[u].size()) {
            pending[u] = NextAction(mix, name, serial[u]++, rng, dialogs);
            next[u] = 0;
        }
        m.from_user = name;
        m.content = pending[u][next[u]++];
        m.msg_id = std::to_string(msgid_base + static_cast<std::uint64_t>(i));
        out[u % out.size()].requests.push_back(
            builder.BuildRequest(wedesk::sim::BuildInboundXml(m)));
    }
    return out;
}

struct RunResult {
    std::vector<ConnResult> conns;
    double seconds = 0;
};

RunResult Replay(const std::string& base_url, const std::vector<Prepared>& work, double rate,
                 int keep) {
    RunResult rr;
    rr.conns.resize(work.size());
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    Steady::time_point start;
    const double per_conn_interval_s = rate > 0 ? static_cast<double>(work.size()) / rate : 0;
    for (std::size_t c = 0; c < work.size(); ++c) {
        threads.emplace_back([&, c] {
            httplib::Client cli(base_url);
            cli.set_keep_alive(true);
            cli.set_tcp_nodelay(true);
            cli.set_connection_timeout(5, 0);
            cli.set_read_timeout(30, 0);
            cli.set_write_timeout(30, 0);
            auto& res = rr.conns[c];
            res.latency_us.reserve(work[c].requests.size());
            ++ready;
            while (!go.load()) {
                std::this_thread::yield();
            }
            // Spread the connections' schedules evenly over one interval.
            const auto offset = std::chrono::duration<double>(
                per_conn_interval_s * static_cast<double>(c) / static_cast<double>(work.size()));
            std::size_t i = 0;
            for (const auto& req : work[c].requests) {
                Steady::time_point t0;
                if (rate > 0) {
                    t0 = start + std::chrono::duration_cast<Steady::duration>(
                                     offset + std::chrono::duration<double>(
                                                  per_conn_interval_s * static_cast<double>(i)));
                    std::this_thread::sleep_until(t0);  // open loop: the schedule, not the server
                } else {
                    t0 = Steady::now();
                }
                auto r = cli.Post(req.path_and_query, req.body, "text/xml");
                const auto us =
                    std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - t0)
                        .count();
                res.latency_us.push_back(static_cast<std::uint32_t>(
                    std::min<long long>(us, std::numeric_limits<std::uint32_t>::max())));
                if (!r) {
                    ++res.errors;
                } else {
                    ++res.statuses[r->status];
                    if (r->status == 200) {
                        ++res.ok;
                    } else {
                        ++res.non200;
                    }
                    if (static_cast<int>(res.kept.size()) < keep) {
                        res.kept.emplace_back(r->status, r->body);
                    }
                }
                ++i;
            }
        });
    }
    while (ready.load() < static_cast<int>(work.size())) {
        std::this_thread::yield();
    }
    start = Steady::now();
    go = true;
    for (auto& t : threads) {
        t.join();
    }
    rr.seconds = std::chrono::duration<double>(Steady::now() - start).count();
    return rr;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"wedesk benchmark load generator"};
    Options o;
    app.add_option("--config", o.config_path, "wedesk config (credentials, server address)")
        ->required();
    app.add_option("--url", o.url, "base URL to load (default: the config's server)");
    app.add_option("--connections", o.connections, "keep-alive connections (threads)");
    app.add_option("--requests", o.requests, "measured callbacks");
    app.add_option("--warmup", o.warmup, "callbacks sent before measuring");
    app.add_option("--rate", o.rate, "total callbacks/s (0 = as fast as possible)");
    app.add_option("--mix", o.mix, "help=W,my=W,kb=W,create=W or 'help'");
    app.add_option("--users", o.users, "distinct WeCom users");
    app.add_option("--user-offset", o.user_offset, "first user is user<offset+1>");
    app.add_option("--seed", o.seed, "seed: same seed, same requests (and MsgIds)");
    app.add_option("--timestamp", o.timestamp, "timestamp signed into requests (default now)");
    app.add_option("--pid", o.pid, "server process to sample (CPU time, VmHWM)");
    app.add_option("--label", o.label, "name in the output");
    app.add_option("--check", o.check, "replies per connection to verify and decrypt");
    app.add_option("--dump", o.dump, "print this many decrypted replies of connection 0");
    CLI11_PARSE(app, argc, argv);

    auto cfg = wedesk::config::Load(o.config_path);
    if (!cfg.ok()) {
        std::cerr << "loadgen: config: " << cfg.error().message << "\n";
        return 2;
    }
    if (o.url.empty()) {
        o.url = "http://" + cfg->server.host + ":" + std::to_string(cfg->server.port);
    }
    if (o.timestamp == 0) {
        o.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    }
    if (o.connections < 1 || o.users < o.connections || o.requests < 1) {
        std::cerr << "loadgen: need connections >= 1, users >= connections, requests >= 1\n";
        return 2;
    }
    auto crypto = wedesk::wecom::WecomCrypto::Create(cfg->wecom.token, cfg->wecom.encoding_aes_key,
                                                     cfg->wecom.corp_id);
    if (!crypto.ok()) {
        std::cerr << "loadgen: crypto: " << crypto.error().message << "\n";
        return 2;
    }
    // MsgIds: 19 digits, distinct per seed (1e12 ids per seed), warm-up ids before measured ones.
    const std::uint64_t base = 5000000000000000000ULL + (o.seed % 4000000) * 1000000000000ULL;
    int dialogs = 0;
    const auto build_start = Steady::now();
    std::vector<Prepared> warm;
    try {
        if (o.warmup > 0) {
            int ignored = 0;
            Options w = o;
            w.mix = "help";
            warm = Build(w, *crypto, cfg->wecom.callback_path, cfg->wecom.agent_id, o.warmup, base,
                         &ignored);
        }
        auto work = Build(o, *crypto, cfg->wecom.callback_path, cfg->wecom.agent_id, o.requests,
                          base + static_cast<std::uint64_t>(o.warmup), &dialogs);
        const double build_s = std::chrono::duration<double>(Steady::now() - build_start).count();
        std::cerr << "loadgen[" << o.label << "]: built " << o.requests << " callbacks (" << dialogs
                  << " create dialogs) in " << build_s << " s\n";
        const int keep = std::max(o.check, o.dump);
        if (!warm.empty()) {
            Replay(o.url, warm, 0, 0);
        }
        const ProcSample before = ReadProc(o.pid);
        const double self_before = SelfCpuSeconds();
        RunResult rr = Replay(o.url, work, o.rate, keep);
        const ProcSample after = ReadProc(o.pid);
        const double self_cpu = SelfCpuSeconds() - self_before;

        std::vector<std::uint32_t> all;
        long long ok = 0, non200 = 0, errors = 0;
        std::map<int, long long> statuses;
        for (auto& c : rr.conns) {
            all.insert(all.end(), c.latency_us.begin(), c.latency_us.end());
            ok += c.ok;
            non200 += c.non200;
            errors += c.errors;
            for (auto [s, n] : c.statuses) {
                statuses[s] += n;
            }
        }
        std::sort(all.begin(), all.end());
        // Replies must be valid encrypted passive replies (or empty 200s).
        long long checked = 0, bad_replies = 0;
        FixedClock dec_clock(o.timestamp);
        SeededRandom dec_random(1);
        wedesk::sim::SimClient decoder("http://127.0.0.1:1", cfg->wecom.callback_path, *crypto,
                                       cfg->wecom.agent_id, dec_clock, dec_random);
        for (std::size_t c = 0; c < rr.conns.size(); ++c) {
            int shown = 0;
            for (const auto& [status, body] : rr.conns[c].kept) {
                auto r = decoder.DecodeReply(status, body);
                ++checked;
                if (!r.ok() || r->status != 200) {
                    ++bad_replies;
                } else if (c == 0 && shown < o.dump) {
                    ++shown;
                    std::cerr << "reply: " << r->content << "\n---\n";
                }
            }
        }
        const double secs = rr.seconds;
        const auto n = static_cast<double>(all.size());
        nlohmann::json j = {
            {"label", o.label},
            {"connections", o.connections},
            {"rate_target", o.rate},
            {"mix", o.mix},
            {"requests", o.requests},
            {"create_dialogs", dialogs},
            {"ok", ok},
            {"non200", non200},
            {"errors", errors},
            {"seconds", secs},
            {"callbacks_per_s", n / secs},
            {"p50_ms", Percentile(all, 50)},
            {"p90_ms", Percentile(all, 90)},
            {"p99_ms", Percentile(all, 99)},
            {"p999_ms", Percentile(all, 99.9)},
            {"max_ms", all.empty() ? 0.0 : all.back() / 1000.0},
            {"replies_checked", checked},
            {"replies_bad", bad_replies},
            {"loadgen_cpu_s", self_cpu},
        };
        nlohmann::json st = nlohmann::json::object();
        for (auto [s, c] : statuses) {
            st[std::to_string(s)] = c;
        }
        j["statuses"] = st;
        if (o.pid > 0) {
            const double cpu = after.cpu_s - before.cpu_s;
            j["server_cpu_s"] = cpu;
            j["server_cpu_us_per_callback"] = n > 0 ? cpu / n * 1e6 : 0;
            j["server_cpu_cores"] = secs > 0 ? cpu / secs : 0;
            j["server_vmhwm_kb"] = after.vmhwm_kb;
            j["server_vmrss_kb"] = after.vmrss_kb;
        }
        std::cerr << "loadgen[" << o.label << "]: " << static_cast<long long>(n) << " callbacks in "
                  << secs << " s = " << n / secs << "/s, p50 " << Percentile(all, 50) << " ms, p99 "
                  << Percentile(all, 99) << " ms, p99.9 " << Percentile(all, 99.9) << " ms, ok "
                  << ok << ", non-200 " << non200 << ", errors " << errors << "\n";
        std::cout << j.dump() << std::endl;
        return (errors == 0 && non200 == 0 && bad_replies == 0) ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "loadgen: " << e.what() << "\n";
        return 2;
    }
}
