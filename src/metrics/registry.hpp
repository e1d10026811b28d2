#pragma once
// Numbers an operator scrapes, in the Prometheus text exposition format (version 0.0.4): counters, gauges and
// histograms with fixed buckets, optionally labelled, plus values read at scrape time from a function.
//
// Updating a metric takes no lock: a counter adds to one of several cache-line-sized atomics picked by the
// calling thread (the I/O threads do not bounce one line between them), a gauge or a histogram bucket is one
// relaxed atomic. A labelled child is found in a table of atomic pointers that only ever grows, so the lookup
// is lock-free once the child exists; creating it takes the family's mutex once.
//
// The registry names and describes metrics; the metrics themselves can belong to it or to the component that
// updates them (registered by reference, which must then outlive every scrape).
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace windi::metrics {

class counter {
 public:
  void inc(std::uint64_t n = 1) { shards_[shard_index()].value.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const;

 private:
  static constexpr std::size_t shard_count = 8;
  static std::size_t shard_index();
  struct alignas(64) shard {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<shard, shard_count> shards_;
};

class gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Upper bounds of histogram buckets, ascending and finite; the +Inf bucket is implied.
using buckets = std::vector<double>;
// Seconds, from half a millisecond to ten seconds: request and commit times.
buckets duration_buckets();
// start, start*factor, ... (count bounds): sizes.
buckets exponential_buckets(double start, double factor, int count);

class histogram {
 public:
  explicit histogram(buckets bounds);
  void observe(double v);
  buckets const& bounds() const { return bounds_; }
  struct snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (which is the count)
    double sum = 0;
  };
  snapshot read() const;

 private:
  buckets bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
  std::atomic<double> sum_{0};
};

// Children of one metric, one per combination of label values.
template <class Metric>
class family {
 public:
  using factory = std::function<std::unique_ptr<Metric>()>;
  explicit family(
      std::vector<std::string> label_names, factory make = [] { return std::make_unique<Metric>(); })
      : label_names_(std::move(label_names)), make_(std::move(make)) {}
  family(family const&) = delete;
  family& operator=(family const&) = delete;

  // The child for these label values (as many as there are label names), created on first use.
  Metric& with(std::initializer_list<std::string_view> values) {
    auto const h = hash(values);
    for (std::size_t i = 0; i < table_size; ++i) {
      auto* c = table_[(h + i) & (table_size - 1)].load(std::memory_order_acquire);
      if (!c) break;
      if (c->hash == h && equal(c->values, values)) return *c->metric;
    }
    return create(values, h);
  }
  std::vector<std::string> const& label_names() const { return label_names_; }
  // Every child, in the order they were created.
  template <class Fn>
  void each(Fn fn) const {
    std::lock_guard lock(mutex_);
    for (auto const& c : children_) fn(c->values, *c->metric);
  }

 private:
  static constexpr std::size_t table_size = 1024;  // a power of two; more children still work, with a lock
  struct child {
    std::vector<std::string> values;
    std::size_t hash = 0;
    std::unique_ptr<Metric> metric;
  };
  static std::size_t hash(std::initializer_list<std::string_view> values) {
    std::size_t h = 0;
    for (auto v : values) h = h * 1099511628211u ^ std::hash<std::string_view>{}(v);
    return h;
  }
  static bool equal(std::vector<std::string> const& a, std::initializer_list<std::string_view> b) {
    if (a.size() != b.size()) return false;
    auto it = b.begin();
    for (auto const& v : a) {
      if (v != *it++) return false;
    }
    return true;
  }
  Metric& create(std::initializer_list<std::string_view> values, std::size_t h) {
    if (values.size() != label_names_.size()) {
      throw std::invalid_argument("metrics: expected " + std::to_string(label_names_.size()) +
                                  " label values");
    }
    std::lock_guard lock(mutex_);
    for (auto const& c : children_) {
      if (c->hash == h && equal(c->values, values)) return *c->metric;
    }
    auto c = std::make_unique<child>();
    c->values.assign(values.begin(), values.end());
    c->hash = h;
    c->metric = make_();
    auto* raw = c.get();
    children_.push_back(std::move(c));
    for (std::size_t i = 0; i < table_size; ++i) {
      auto& slot = table_[(h + i) & (table_size - 1)];
      if (!slot.load(std::memory_order_relaxed)) {
        slot.store(raw, std::memory_order_release);
        break;
      }
    }
    return *raw->metric;
  }

  std::vector<std::string> label_names_;
  factory make_;
  std::array<std::atomic<child*>, table_size> table_{};  // set once each, under mutex_
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<child>> children_;  // guarded by mutex_
};

class registry {
 public:
  registry() = default;
  registry(registry const&) = delete;
  registry& operator=(registry const&) = delete;

  // Metrics the registry owns. Names and labels are checked (std::invalid_argument: a bug at start-up).
  counter& add_counter(std::string name, std::string help);
  gauge& add_gauge(std::string name, std::string help);
  histogram& add_histogram(std::string name, std::string help, buckets bounds);
  family<counter>& add_counter_family(std::string name, std::string help, std::vector<std::string> labels);
  family<gauge>& add_gauge_family(std::string name, std::string help, std::vector<std::string> labels);
  family<histogram>& add_histogram_family(std::string name, std::string help, std::vector<std::string> labels,
                                          buckets bounds);

  // Metrics a component owns and updates; they must outlive every scrape.
  void add(std::string name, std::string help, counter const& m);
  void add(std::string name, std::string help, gauge const& m);
  void add(std::string name, std::string help, histogram const& m);
  void add(std::string name, std::string help, family<counter> const& m);

  // Values read at scrape time from a function, so a component can expose numbers it keeps anyway (atomics,
  // sizes) without depending on this registry. The function runs on the scraping thread.
  void add_counter_callback(std::string name, std::string help, std::function<double()> read);
  void add_gauge_callback(std::string name, std::string help, std::function<double()> read);
  // The same with labels: one function per combination of label values, fixed at registration.
  struct labelled_callback {
    std::vector<std::string> values;
    std::function<double()> read;
  };
  void add_counter_callbacks(std::string name, std::string help, std::vector<std::string> labels,
                             std::vector<labelled_callback> children);

  // The whole page in the text format, families in the order they were added.
  std::string scrape() const;

 private:
  enum class type { counter, gauge, histogram };
  struct callback {
    std::function<double()> read;
  };
  struct callbacks {
    std::vector<std::string> labels;
    std::vector<labelled_callback> children;
  };
  using source = std::variant<counter const*, gauge const*, histogram const*, family<counter> const*,
                              family<gauge> const*, family<histogram> const*, callback, callbacks>;
  struct entry {
    std::string name;
    std::string help;
    type kind;
    source what;
  };
  void add_entry(std::string name, std::string help, type kind, source what,
                 std::vector<std::string> const& labels = {});

  mutable std::mutex mutex_;
  std::vector<entry> entries_;  // guarded by mutex_
  // What the registry owns (stable addresses).
  std::deque<counter> counters_;
  std::deque<gauge> gauges_;
  std::deque<histogram> histograms_;
  std::deque<family<counter>> counter_families_;
  std::deque<family<gauge>> gauge_families_;
  std::deque<family<histogram>> histogram_families_;
};

// Exposition helpers, public for tests.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
std::string format_value(double v);

}  // namespace windi::metrics
