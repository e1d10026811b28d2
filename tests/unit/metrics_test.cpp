// The metrics registry's text exposition (Prometheus format 0.0.4) and the access log's rendering.
#include "metrics/access_log.hpp"
#include "metrics/process.hpp"
#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace windi::metrics {
namespace {

bool contains(std::string const& page, std::string const& line) {
  return page.find(line + "\n") != std::string::npos;
}

TEST(metrics, a_counter_has_help_and_type_lines_then_its_value) {
  registry r;
  auto& c = r.add_counter("windi_things_total", "Things that happened.");
  c.inc();
  c.inc(41);
  EXPECT_EQ(r.scrape(),
            "# HELP windi_things_total Things that happened.\n"
            "# TYPE windi_things_total counter\n"
            "windi_things_total 42\n");
}

TEST(metrics, a_gauge_goes_up_and_down_and_keeps_fractions) {
  registry r;
  auto& g = r.add_gauge("windi_level", "A level.");
  g.set(3);
  g.add(-1.25);
  auto page = r.scrape();
  EXPECT_TRUE(contains(page, "# TYPE windi_level gauge")) << page;
  EXPECT_TRUE(contains(page, "windi_level 1.75")) << page;
}

TEST(metrics, labelled_children_are_separate_series_and_found_again) {
  registry r;
  auto& closed = r.add_counter_family("windi_closed_total", "Closes by code.", {"code"});
  closed.with({"1000"}).inc();
  closed.with({"4008"}).inc(2);
  closed.with({"1000"}).inc();
  EXPECT_EQ(&closed.with({"1000"}), &closed.with({"1000"}));
  auto page = r.scrape();
  EXPECT_TRUE(contains(page, "windi_closed_total{code=\"1000\"} 2")) << page;
  EXPECT_TRUE(contains(page, "windi_closed_total{code=\"4008\"} 2")) << page;
}

TEST(metrics, label_values_escape_backslash_quote_and_newline) {
  registry r;
  auto& f = r.add_counter_family("windi_odd_total", "Odd labels.", {"route", "method"});
  f.with({"a\\b\"c\nd", "GET"}).inc();
  auto page = r.scrape();
  EXPECT_TRUE(contains(page, R"(windi_odd_total{route="a\\b\"c\nd",method="GET"} 1)")) << page;
  EXPECT_EQ(escape_label_value("plain /api/v1/chats/{chat_id}"), "plain /api/v1/chats/{chat_id}");
}

TEST(metrics, help_text_escapes_backslash_and_newline_but_not_quotes) {
  registry r;
  r.add_counter("windi_h_total", "two\nlines \\ and \"quotes\"");
  auto page = r.scrape();
  EXPECT_TRUE(contains(page, R"(# HELP windi_h_total two\nlines \\ and "quotes")")) << page;
}

TEST(metrics, histogram_buckets_are_cumulative_with_inf_sum_and_count) {
  registry r;
  auto& h = r.add_histogram("windi_wait_seconds", "Waits.", {0.1, 0.5, 1});
  h.observe(0.05);
  h.observe(0.1);  // on a bound: counted in that bucket (le means "less or equal")
  h.observe(0.3);
  h.observe(7);
  auto page = r.scrape();
  EXPECT_TRUE(contains(page, "# TYPE windi_wait_seconds histogram")) << page;
  EXPECT_TRUE(contains(page, "windi_wait_seconds_bucket{le=\"0.1\"} 2")) << page;
  EXPECT_TRUE(contains(page, "windi_wait_seconds_bucket{le=\"0.5\"} 3")) << page;
  EXPECT_TRUE(contains(page, "windi_wait_seconds_bucket{le=\"1\"} 3")) << page;
  EXPECT_TRUE(contains(page, "windi_wait_seconds_bucket{le=\"+Inf\"} 4")) << page;
  EXPECT_TRUE(contains(page, "windi_wait_seconds_sum 7.45")) << page;
  EXPECT_TRUE(contains(page, "windi_wait_seconds_count 4")) << page;
}

TEST(metrics, labelled_histograms_put_le_last_and_bounds_in_plain_decimals) {
  registry r;
  auto& f = r.add_histogram_family("windi_req_seconds", "Requests.", {"route"}, {0.0005, 2.5});
  f.with({"/x"}).observe(0.0001);
  auto page = r.scrape();
  EXPECT_TRUE(contains(page, "windi_req_seconds_bucket{route=\"/x\",le=\"0.0005\"} 1")) << page;
  EXPECT_TRUE(contains(page, "windi_req_seconds_bucket{route=\"/x\",le=\"2.5\"} 1")) << page;
  EXPECT_TRUE(contains(page, "windi_req_seconds_bucket{route=\"/x\",le=\"+Inf\"} 1")) << page;
  EXPECT_TRUE(contains(page, "windi_req_seconds_count{route=\"/x\"} 1")) << page;
}

TEST(metrics, families_keep_the_order_they_were_added_and_callbacks_read_at_scrape_time) {
  registry r;
  double value = 1;
  r.add_gauge_callback("windi_b", "B.", [&value] { return value; });
  r.add_counter_callbacks("windi_a_total", "A.", {"result"},
                          {{{"ok"}, [] { return 5.0; }}, {{"failed"}, [] { return 2.0; }}});
  value = 9;
  auto page = r.scrape();
  EXPECT_LT(page.find("windi_b"), page.find("windi_a_total")) << page;
  EXPECT_TRUE(contains(page, "windi_b 9")) << page;
  EXPECT_TRUE(contains(page, "windi_a_total{result=\"ok\"} 5")) << page;
  EXPECT_TRUE(contains(page, "windi_a_total{result=\"failed\"} 2")) << page;
}

TEST(metrics, metrics_owned_elsewhere_are_read_by_reference) {
  registry r;
  counter mine;
  r.add("windi_mine_total", "Mine.", mine);
  mine.inc(3);
  EXPECT_TRUE(contains(r.scrape(), "windi_mine_total 3"));
}

TEST(metrics, special_values_are_written_as_prometheus_spells_them) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(12345678), "12345678");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_value(0.0 / 0.0), "NaN");
}

TEST(metrics, bad_names_duplicates_and_reserved_labels_are_refused) {
  registry r;
  EXPECT_THROW(r.add_counter("9lives_total", "x"), std::invalid_argument);
  EXPECT_THROW(r.add_counter("has-dash_total", "x"), std::invalid_argument);
  r.add_counter("windi_once_total", "x");
  EXPECT_THROW(r.add_counter("windi_once_total", "x"), std::invalid_argument);
  EXPECT_THROW(r.add_counter_family("windi_l_total", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.add_histogram_family("windi_le_seconds", "x", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(r.add_histogram("windi_unsorted_seconds", "x", {1, 0.5}), std::invalid_argument);
  auto& f = r.add_counter_family("windi_two_total", "x", {"a", "b"});
  EXPECT_THROW(f.with({"only one"}), std::invalid_argument);
}

TEST(metrics, counts_from_many_threads_add_up) {
  registry r;
  auto& c = r.add_counter("windi_parallel_total", "x");
  auto& f = r.add_counter_family("windi_parallel_labelled_total", "x", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&c, &f, t] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        f.with({std::to_string(i % 4)}).inc();
      }
      (void)t;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 80000u);
  std::uint64_t total = 0;
  f.each([&total](auto const&, counter const& child) { total += child.value(); });
  EXPECT_EQ(total, 80000u);
}

TEST(metrics, proc_stat_gives_cpu_time_start_time_and_memory) {
  // Field 2 holds spaces and a parenthesis, as a process may name itself.
  std::string stat =
      "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 500 "
      "104857600 2048 18446744073709551615\n";
  auto parsed = parse_proc_stat(stat, 100, 4096);
  ASSERT_TRUE(parsed);
  EXPECT_DOUBLE_EQ(parsed->cpu_seconds, 3.0);  // (250 + 50) / 100
  EXPECT_DOUBLE_EQ(parsed->start_seconds, 5.0);
  EXPECT_DOUBLE_EQ(parsed->virtual_bytes, 104857600);
  EXPECT_DOUBLE_EQ(parsed->resident_bytes, 2048.0 * 4096);
  EXPECT_FALSE(parse_proc_stat("garbage", 100, 4096));
}

TEST(metrics, process_metrics_read_this_process) {
  registry r;
  add_process_metrics(r);
  auto page = r.scrape();
  EXPECT_TRUE(contains(page, "# TYPE process_cpu_seconds_total counter")) << page;
  EXPECT_EQ(page.find("process_resident_memory_bytes 0\n"), std::string::npos) << page;
  EXPECT_EQ(page.find("process_open_fds 0\n"), std::string::npos) << page;
}

TEST(access_log, text_lines_are_key_value_pairs_quoting_what_needs_it) {
  auto line = render_fields(log_format::text, "http",
                            {{"method", std::string_view("GET")},
                             {"route", std::string_view("/api/v1/messages/history/{chat_id}")},
                             {"status", std::int64_t{200}},
                             {"duration_ms", 1.5},
                             {"reason", std::string_view("two words")}});
  EXPECT_EQ(line,
            "http method=GET route=/api/v1/messages/history/{chat_id} status=200 duration_ms=1.500 "
            "reason=\"two words\"");
}

TEST(access_log, json_lines_are_members_with_typed_values_and_escaped_strings) {
  auto members = render_fields(log_format::json, "ws_close",
                               {{"code", std::int64_t{1009}}, {"note", std::string_view("a\"b\\c\n\x01")}});
  EXPECT_EQ(members, R"("event":"ws_close","code":1009,"note":"a\"b\\c\n\u0001")");
  EXPECT_EQ(json_string("plain"), "\"plain\"");
}

}  // namespace
}  // namespace windi::metrics
