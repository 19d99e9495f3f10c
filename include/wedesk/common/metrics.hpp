#pragma once
/// Metrics: process-wide counters, gauges and histograms rendered in the Prometheus text format
/// at GET /metrics. Lock-free on the hot path (atomics; callers cache the counter they
/// increment); registration takes a mutex once. Gauges whose value lives elsewhere (outbox
/// backlog, tickets by status) are callbacks evaluated at scrape time, outside the registry's
/// lock.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace wedesk::metrics {

class Counter {
public:
    void Inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t Value() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

/// Fixed-bucket histogram of seconds.
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);
    void Observe(double seconds);
    struct Snapshot {
        std::vector<double> bounds;
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
        double sum = 0;
        std::uint64_t count = 0;
    };
    Snapshot Snap() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_us_{0};
};

/// Labels rendered as {k="v",...}; values are escaped.
using Labels = std::map<std::string, std::string>;

class Registry {
public:
    /// The counter `name` with `labels`, created on first use. References stay valid.
    Counter& GetCounter(const std::string& name, const std::string& help,
                        const Labels& labels = {});
    Histogram& GetHistogram(const std::string& name, const std::string& help,
                            std::vector<double> bounds);
    /// A gauge computed at scrape time; each call returns samples (labels → value).
    void AddGaugeCallback(const std::string& name, const std::string& help,
                          std::function<std::vector<std::pair<Labels, double>>()> fn);
    /// Removes a gauge (its callback may refer to an object about to die). Waits for a
    /// scrape in progress.
    void RemoveGauge(const std::string& name);
    std::string RenderPrometheus() const;

private:
    using GaugeFn = std::function<std::vector<std::pair<Labels, double>>()>;
    struct Family {
        std::string help;
        std::string type;
        std::map<std::string, std::unique_ptr<Counter>> counters;  // key: rendered labels
        std::unique_ptr<Histogram> histogram;
        std::shared_ptr<GaugeFn> gauge;
    };
    mutable std::mutex mu_;  // guards families_ (held briefly: never while a gauge runs)
    mutable std::shared_mutex scrape_mu_;  // shared by scrapes, exclusive for RemoveGauge
    std::map<std::string, Family> families_;
};

/// The process-wide registry.
Registry& Global();

/// The counter `name` with `labels` of the global registry, looked up in the registry once per
/// thread and label set: for hot paths, where afterwards only an atomic is incremented.
Counter& HotCounter(const std::string& name, const std::string& help, const Labels& labels);

/// Renders labels as {k="v"} with Prometheus escaping ("" when empty).
std::string RenderLabels(const Labels& labels);

}  // namespace wedesk::metrics
