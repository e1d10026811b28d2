#include "metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace windi::metrics {
namespace {

bool valid_name(std::string_view name, bool label) {
  if (name.empty()) return false;
  auto first = [label](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
  };
  if (!first(name.front())) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return first(c) || (c >= '0' && c <= '9'); });
}

void check_labels(std::vector<std::string> const& labels, bool histogram) {
  for (auto const& l : labels) {
    // Names starting with "__" are Prometheus's own; "le" is the histogram's bucket label.
    if (!valid_name(l, true) || l.starts_with("__") || (histogram && l == "le")) {
      throw std::invalid_argument("metrics: invalid label name '" + l + "'");
    }
  }
}

void append_labels(std::string& out, std::vector<std::string> const& names,
                   std::vector<std::string> const& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += escape_label_value(i < values.size() ? values[i] : std::string());
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   std::vector<std::string> const& names, std::vector<std::string> const& values,
                   double value, std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out += name;
  out += suffix;
  append_labels(out, names, values, extra_name, extra_value);
  out += ' ';
  out += format_value(value);
  out += '\n';
}

void append_histogram(std::string& out, std::string_view name, std::vector<std::string> const& names,
                      std::vector<std::string> const& values, histogram const& h) {
  auto snap = h.read();
  auto const& bounds = h.bounds();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    append_sample(out, name, "_bucket", names, values, static_cast<double>(snap.cumulative[i]), "le",
                  format_value(bounds[i]));
  }
  auto const count = static_cast<double>(snap.cumulative.back());
  append_sample(out, name, "_bucket", names, values, count, "le", "+Inf");
  append_sample(out, name, "_sum", names, values, snap.sum);
  append_sample(out, name, "_count", names, values, count);
}

std::vector<std::string> const no_labels;

}  // namespace

std::size_t counter::shard_index() {
  // Threads take shards in turn, so the I/O threads (started together) land on different ones.
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t const mine = next.fetch_add(1, std::memory_order_relaxed) % shard_count;
  return mine;
}

std::uint64_t counter::value() const {
  std::uint64_t total = 0;
  for (auto const& s : shards_) total += s.value.load(std::memory_order_relaxed);
  return total;
}

buckets duration_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

buckets exponential_buckets(double start, double factor, int count) {
  buckets out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

histogram::histogram(buckets bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end() ||
      std::any_of(bounds_.begin(), bounds_.end(), [](double b) { return !std::isfinite(b); })) {
    throw std::invalid_argument("metrics: histogram bounds must be finite and strictly ascending");
  }
}

void histogram::observe(double v) {
  // The first bucket whose upper bound is >= v ("le"), else +Inf.
  auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Whole numbers (every counter) without an exponent or a fraction; others in the shortest exact form.
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, end);
  }
  // Plain decimals where they stay short (bucket bounds like 0.0005), the exponent form elsewhere.
  char buf[400];
  auto const magnitude = std::fabs(v);
  auto const format =
      magnitude >= 1e-6 && magnitude < 1e15 ? std::chars_format::fixed : std::chars_format::scientific;
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, format);
  return std::string(buf, end);
}

void registry::add_entry(std::string name, std::string help, type kind, source what,
                         std::vector<std::string> const& labels) {
  if (!valid_name(name, false)) throw std::invalid_argument("metrics: invalid metric name '" + name + "'");
  check_labels(labels, kind == type::histogram);
  std::lock_guard lock(mutex_);
  for (auto const& e : entries_) {
    if (e.name == name) throw std::invalid_argument("metrics: '" + name + "' is registered twice");
  }
  entries_.push_back({std::move(name), std::move(help), kind, what});
}

counter& registry::add_counter(std::string name, std::string help) {
  auto& m = counters_.emplace_back();
  add_entry(std::move(name), std::move(help), type::counter, &m);
  return m;
}

gauge& registry::add_gauge(std::string name, std::string help) {
  auto& m = gauges_.emplace_back();
  add_entry(std::move(name), std::move(help), type::gauge, &m);
  return m;
}

histogram& registry::add_histogram(std::string name, std::string help, buckets bounds) {
  auto& m = histograms_.emplace_back(std::move(bounds));
  add_entry(std::move(name), std::move(help), type::histogram, &m);
  return m;
}

family<counter>& registry::add_counter_family(std::string name, std::string help,
                                              std::vector<std::string> labels) {
  auto& m = counter_families_.emplace_back(labels);
  add_entry(std::move(name), std::move(help), type::counter, &m, labels);
  return m;
}

family<gauge>& registry::add_gauge_family(std::string name, std::string help,
                                          std::vector<std::string> labels) {
  auto& m = gauge_families_.emplace_back(labels);
  add_entry(std::move(name), std::move(help), type::gauge, &m, labels);
  return m;
}

family<histogram>& registry::add_histogram_family(std::string name, std::string help,
                                                  std::vector<std::string> labels, buckets bounds) {
  // Checked once here rather than at each child's creation.
  histogram check(bounds);
  auto& m =
      histogram_families_.emplace_back(labels, [bounds] { return std::make_unique<histogram>(bounds); });
  add_entry(std::move(name), std::move(help), type::histogram, &m, labels);
  return m;
}

void registry::add(std::string name, std::string help, counter const& m) {
  add_entry(std::move(name), std::move(help), type::counter, &m);
}
void registry::add(std::string name, std::string help, gauge const& m) {
  add_entry(std::move(name), std::move(help), type::gauge, &m);
}
void registry::add(std::string name, std::string help, histogram const& m) {
  add_entry(std::move(name), std::move(help), type::histogram, &m);
}
void registry::add(std::string name, std::string help, family<counter> const& m) {
  add_entry(std::move(name), std::move(help), type::counter, &m, m.label_names());
}

void registry::add_counter_callback(std::string name, std::string help, std::function<double()> read) {
  add_entry(std::move(name), std::move(help), type::counter, callback{std::move(read)});
}

void registry::add_gauge_callback(std::string name, std::string help, std::function<double()> read) {
  add_entry(std::move(name), std::move(help), type::gauge, callback{std::move(read)});
}

void registry::add_counter_callbacks(std::string name, std::string help, std::vector<std::string> labels,
                                     std::vector<labelled_callback> children) {
  for (auto const& c : children) {
    if (c.values.size() != labels.size())
      throw std::invalid_argument("metrics: '" + name + "': label values");
  }
  auto checked = labels;
  add_entry(std::move(name), std::move(help), type::counter,
            callbacks{std::move(labels), std::move(children)}, checked);
}

std::string registry::scrape() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out.reserve(entries_.size() * 256);
  for (auto const& e : entries_) {
    out += "# HELP ";
    out += e.name;
    out += ' ';
    out += escape_help(e.help);
    out += "\n# TYPE ";
    out += e.name;
    out += e.kind == type::counter ? " counter\n" : e.kind == type::gauge ? " gauge\n" : " histogram\n";
    auto const& name = e.name;
    std::visit(
        [&](auto const& what) {
          using T = std::decay_t<decltype(what)>;
          if constexpr (std::is_same_v<T, counter const*>) {
            append_sample(out, name, "", no_labels, no_labels, static_cast<double>(what->value()));
          } else if constexpr (std::is_same_v<T, gauge const*>) {
            append_sample(out, name, "", no_labels, no_labels, what->value());
          } else if constexpr (std::is_same_v<T, histogram const*>) {
            append_histogram(out, name, no_labels, no_labels, *what);
          } else if constexpr (std::is_same_v<T, family<counter> const*>) {
            what->each([&](auto const& values, counter const& c) {
              append_sample(out, name, "", what->label_names(), values, static_cast<double>(c.value()));
            });
          } else if constexpr (std::is_same_v<T, family<gauge> const*>) {
            what->each([&](auto const& values, gauge const& g) {
              append_sample(out, name, "", what->label_names(), values, g.value());
            });
          } else if constexpr (std::is_same_v<T, family<histogram> const*>) {
            what->each([&](auto const& values, histogram const& h) {
              append_histogram(out, name, what->label_names(), values, h);
            });
          } else if constexpr (std::is_same_v<T, callback>) {
            append_sample(out, name, "", no_labels, no_labels, what.read());
          } else {
            for (auto const& c : what.children) append_sample(out, name, "", what.labels, c.values, c.read());
          }
        },
        e.what);
  }
  return out;
}

}  // namespace windi::metrics
