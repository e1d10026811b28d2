#include "report.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <stdexcept>

namespace windi::loadgen {

namespace json = boost::json;

namespace {

// Table cells: plain decimals instead of JSON's exponent notation.
std::string cell(json::value const& v) {
  if (v.is_double()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v.as_double());
    std::string out(buf);
    out.erase(out.find_last_not_of('0') + 1);
    if (out.back() == '.') out.pop_back();
    return out;
  }
  if (auto const* text = v.if_string()) return std::string(*text);
  return json::serialize(v);
}

// Nested objects (a latency summary) become rows "name.key".
void rows(json::object const& figures, std::string const& prefix,
          std::vector<std::pair<std::string, std::string>>& out) {
  for (auto const& [key, value] : figures) {
    if (auto const* inner = value.if_object()) {
      rows(*inner, prefix + std::string(key) + ".", out);
    } else {
      out.emplace_back(prefix + std::string(key), cell(value));
    }
  }
}

}  // namespace

json::object& report::section(std::string const& name) {
  if (!sections.contains(name)) sections[name] = json::object();
  return sections[name].as_object();
}

void report::print() const {
  std::cout << "\n== " << scenario << " ==\n";
  for (auto const& [key, value] : config) std::cout << "  " << key << " = " << cell(value) << "\n";
  for (auto const& [name, figures] : sections) {
    std::vector<std::pair<std::string, std::string>> table;
    rows(figures.as_object(), "", table);
    std::size_t width = 8;
    for (auto const& [key, value] : table) width = std::max(width, key.size());
    std::cout << "\n  " << std::string(name) << "\n";
    for (auto const& [key, value] : table) {
      std::cout << "    " << std::left << std::setw(static_cast<int>(width)) << key << "  " << value << "\n";
    }
  }
  std::cout << std::flush;
}

void report::write_json(std::string const& path) const {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  json::object doc{{"scenario", scenario}, {"config", config}, {"results", sections}};
  out << json::serialize(doc) << "\n";
}

bool report::server_died() const {
  for (auto const& [name, figures] : sections) {
    for (auto const& [key, value] : figures.as_object()) {
      if (key.ends_with("_died")) return true;
    }
  }
  return false;
}

double rounded(double value, int decimals) {
  double const scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

json::object latency_summary(std::vector<std::int64_t> ns) {
  json::object out;
  out["samples"] = ns.size();
  if (ns.empty()) return out;
  std::sort(ns.begin(), ns.end());
  auto at = [&ns](double q) {
    auto i = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1));
    return rounded(static_cast<double>(ns[i]) / 1e6, 3);
  };
  out["p50_ms"] = at(0.50);
  out["p99_ms"] = at(0.99);
  out["p999_ms"] = at(0.999);
  out["max_ms"] = rounded(static_cast<double>(ns.back()) / 1e6, 3);
  return out;
}

}  // namespace windi::loadgen
