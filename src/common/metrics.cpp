#include "wedesk/common/metrics.hpp"

#include <fmt/format.h>

#include <cmath>

namespace wedesk::metrics {

namespace {

std::string Escape(const std::string& v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string FormatDouble(double v) {
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    return fmt::format("{}", v);
}

}  // namespace

std::string RenderLabels(const Labels& labels) {
    if (labels.empty()) {
        return "";
    }
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : labels) {
        if (!first) {
            out += ",";
        }
        first = false;
        out += k + "=\"" + Escape(v) + "\"";
    }
    return out + "}";
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double seconds) {
    std::size_t i = 0;
    while (i < bounds_.size() && seconds > bounds_[i]) {
        ++i;
    }
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<std::uint64_t>(std::llround(std::max(0.0, seconds) * 1e6)),
                      std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Snap() const {
    Snapshot s;
    s.bounds = bounds_;
    std::uint64_t acc = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        acc += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(acc);
    }
    s.count = acc;
    s.sum = static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6;
    return s;
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
    std::lock_guard lock(mu_);
    auto& fam = families_[name];
    fam.help = help;
    fam.type = "counter";
    auto& slot = fam.counters[RenderLabels(labels)];
    if (!slot) {
        slot = std::make_unique<Counter>();
    }
    return *slot;
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help,
                                  std::vector<double> bounds) {
    std::lock_guard lock(mu_);
    auto& fam = families_[name];
    fam.help = help;
    fam.type = "histogram";
    if (!fam.histogram) {
        fam.histogram = std::make_unique<Histogram>(std::move(bounds));
    }
    return *fam.histogram;
}

void Registry::AddGaugeCallback(const std::string& name, const std::string& help,
                                std::function<std::vector<std::pair<Labels, double>>()> fn) {
    std::lock_guard lock(mu_);
    auto& fam = families_[name];
    fam.help = help;
    fam.type = "gauge";
    fam.gauge = std::make_shared<GaugeFn>(std::move(fn));
}

void Registry::RemoveGauge(const std::string& name) {
    std::unique_lock scrape(scrape_mu_);  // waits for a scrape that may be running it
    std::lock_guard lock(mu_);
    auto it = families_.find(name);
    if (it != families_.end() && it->second.type == "gauge") {
        families_.erase(it);
    }
}

std::string Registry::RenderPrometheus() const {
    // Gauges run SQL: they are evaluated outside mu_, so counters can still be created (and
    // every other scrape-independent path goes on) while a scrape runs. scrape_mu_ (shared)
    // keeps RemoveGauge from destroying what a gauge reads meanwhile.
    std::shared_lock scrape(scrape_mu_);
    struct Part {
        std::string text;                // rendered counters or histogram, or the header
        std::shared_ptr<GaugeFn> gauge;  // evaluated below
        std::string name;
    };
    std::vector<Part> parts;
    {
        std::lock_guard lock(mu_);
        for (const auto& [name, fam] : families_) {
            Part p;
            p.name = name;
            p.text = fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, fam.help, name, fam.type);
            if (fam.type == "counter") {
                for (const auto& [labels, c] : fam.counters) {
                    p.text += fmt::format("{}{} {}\n", name, labels, c->Value());
                }
            } else if (fam.type == "histogram" && fam.histogram) {
                const auto s = fam.histogram->Snap();
                for (std::size_t i = 0; i < s.bounds.size(); ++i) {
                    p.text += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name,
                                          FormatDouble(s.bounds[i]), s.cumulative[i]);
                }
                p.text += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, s.cumulative.back());
                p.text += fmt::format("{}_sum {}\n{}_count {}\n", name, FormatDouble(s.sum), name,
                                      s.count);
            } else if (fam.type == "gauge") {
                p.gauge = fam.gauge;
            }
            parts.push_back(std::move(p));
        }
    }
    std::string out;
    for (const auto& p : parts) {
        out += p.text;
        if (p.gauge && *p.gauge) {
            for (const auto& [labels, v] : (*p.gauge)()) {
                out += fmt::format("{}{} {}\n", p.name, RenderLabels(labels), FormatDouble(v));
            }
        }
    }
    return out;
}

Counter& HotCounter(const std::string& name, const std::string& help, const Labels& labels) {
    thread_local std::map<std::string, Counter*> cache;  // name + rendered labels → counter
    const std::string key = name + RenderLabels(labels);
    auto it = cache.find(key);
    if (it == cache.end()) {
        it = cache.emplace(key, &Global().GetCounter(name, help, labels)).first;
    }
    return *it->second;
}

Registry& Global() {
    static Registry r;
    return r;
}

}  // namespace wedesk::metrics
