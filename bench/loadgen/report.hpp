#pragma once
// A scenario's figures: sections of named values, printed as a table and written as JSON.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace windi::loadgen {

struct report {
  std::string scenario;
  boost::json::object config;    // the parameters of the run
  boost::json::object sections;  // section name -> {figure: value}, in insertion order

  boost::json::object& section(std::string const& name);
  void print() const;
  void write_json(std::string const& path) const;
  // True when a section reports a server that died during the run (a "<name>_died" figure).
  bool server_died() const;
};

// Percentiles of latencies given in nanoseconds, in milliseconds: {"p50_ms", "p99_ms", "p999_ms", "max_ms",
// "samples"}; an empty input gives only {"samples": 0}.
boost::json::object latency_summary(std::vector<std::int64_t> nanoseconds);

double rounded(double value, int decimals = 2);

}  // namespace windi::loadgen
