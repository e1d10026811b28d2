#include "pg_baseline.hpp"

#include "frames.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

namespace windi::loadgen {
namespace {

using connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using result = std::unique_ptr<PGresult, decltype(&PQclear)>;

[[noreturn]] void fail(std::string const& what, PGconn* c) {
  throw std::runtime_error("postgres baseline: " + what + ": " + PQerrorMessage(c));
}

connection connect(std::string const& url) {
  connection c(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK) fail("connect", c.get());
  return c;
}

void exec(PGconn* c, std::string const& sql) {
  result r(PQexec(c, sql.c_str()), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(sql, c);
}

// The table exists only for one variant's run, so each variant starts from an empty table, and it is dropped
// even when the run throws.
class scratch_table {
 public:
  scratch_table(PGconn* admin, std::string name) : admin_(admin), name_(std::move(name)) {
    exec(admin_, "DROP TABLE IF EXISTS " + name_);
    // The shape of `messages` without its foreign keys and client-id index: the insert and the (chat_id, seq)
    // index the real append pays for, nothing of windi's own logic.
    exec(admin_, "CREATE TABLE " + name_ +
                     " (id BIGSERIAL PRIMARY KEY, chat_id BIGINT NOT NULL, seq BIGINT NOT NULL, "
                     "sender_id BIGINT NOT NULL, text TEXT NOT NULL, created_at BIGINT NOT NULL, "
                     "UNIQUE (chat_id, seq))");
  }
  ~scratch_table() { result r(PQexec(admin_, ("DROP TABLE IF EXISTS " + name_).c_str()), &PQclear); }
  scratch_table(scratch_table const&) = delete;
  scratch_table& operator=(scratch_table const&) = delete;

 private:
  PGconn* admin_;
  std::string name_;
};

std::string insert_sql(std::string const& table, int rows) {
  std::string sql = "INSERT INTO " + table + " (chat_id, seq, sender_id, text, created_at) VALUES ";
  for (int r = 0; r < rows; ++r) {
    auto p = r * 5;
    sql += (r ? ",($" : "($") + std::to_string(p + 1) + ",$" + std::to_string(p + 2) + ",$" +
           std::to_string(p + 3) + ",$" + std::to_string(p + 4) + ",$" + std::to_string(p + 5) + ")";
  }
  return sql;
}

struct worker_totals {
  std::uint64_t rows = 0;
  std::uint64_t transactions = 0;
};

// One connection's loop: keep `depth` transactions in flight, each ended by its own Sync so that it commits
// (and waits for its WAL flush) on its own; count those whose Sync comes back before `stop`.
worker_totals insert_loop(PGconn* c, pg_baseline_options const& o, int index, std::int64_t stop) {
  // Non-blocking, so that sending never waits on a server that is itself waiting for us to read results.
  if (PQsetnonblocking(c, 1) != 0) fail("nonblocking", c);
  if (PQenterPipelineMode(c) != 1) fail("pipeline mode", c);
  auto const rows = static_cast<std::size_t>(o.rows_per_transaction);
  std::vector<std::string> values(rows * 5);
  std::vector<char const*> params(rows * 5);
  std::uint64_t row = 0;  // rows issued by this connection
  worker_totals out;
  int in_flight = 0;
  for (;;) {
    auto t = now_ns();
    while (t < stop && in_flight < o.depth) {
      for (std::size_t r = 0; r < rows; ++r, ++row) {
        // (chat_id, seq) unique across connections: seq mod connections is this connection's index.
        auto const chat = row % static_cast<std::uint64_t>(o.chats);
        auto const seq =
            row / static_cast<std::uint64_t>(o.chats) * static_cast<std::uint64_t>(o.connections) +
            static_cast<std::uint64_t>(index);
        auto* v = &values[r * 5];
        v[0] = std::to_string(chat + 1);
        v[1] = std::to_string(seq + 1);
        v[2] = std::to_string(index + 1);
        v[3] = timestamp_text(t);  // the same text the scenario's clients send
        v[4] = std::to_string(t / 1'000'000);
      }
      for (std::size_t i = 0; i < values.size(); ++i) params[i] = values[i].c_str();
      if (PQsendQueryPrepared(c, "ins", static_cast<int>(params.size()), params.data(), nullptr, nullptr,
                              0) != 1)
        fail("send", c);
      if (PQpipelineSync(c) != 1) fail("sync", c);
      ++in_flight;
    }
    if (in_flight == 0) return out;
    auto const unsent = PQflush(c);
    if (unsent < 0) fail("flush", c);
    pollfd p{PQsocket(c), static_cast<short>(POLLIN | (unsent ? POLLOUT : 0)), 0};
    // The timeout only bounds how late the loop notices `stop` when the server is slow.
    if (poll(&p, 1, 100) < 0) throw std::runtime_error("postgres baseline: poll failed");
    if (PQconsumeInput(c) != 1) fail("read", c);
    while (in_flight > 0 && !PQisBusy(c)) {
      result r(PQgetResult(c), &PQclear);
      if (!r) continue;  // the end of one query's results; the next call moves on to the next query
      auto const status = PQresultStatus(r.get());
      if (status == PGRES_PIPELINE_SYNC) {
        --in_flight;
        if (now_ns() < stop) {
          out.rows += rows;
          ++out.transactions;
        }
      } else if (status != PGRES_COMMAND_OK) {
        throw std::runtime_error(std::string("postgres baseline: insert: ") + PQresultErrorMessage(r.get()));
      }
    }
  }
}

}  // namespace

pg_baseline_result run_pg_baseline(pg_baseline_options const& o) {
  if (o.connections < 1 || o.depth < 1 || o.rows_per_transaction < 1 || o.chats < 1 || o.seconds < 1)
    throw std::runtime_error("postgres baseline: connections, depth, rows, chats and seconds must be >= 1");
  auto admin = connect(o.url);
  // DROP TABLE IF EXISTS notices would otherwise go to stderr in the middle of the run.
  PQsetNoticeProcessor(
      admin.get(), [](void*, char const*) {}, nullptr);
  pg_baseline_result out;
  {
    result r(PQexec(admin.get(), "SHOW synchronous_commit"), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail("SHOW synchronous_commit", admin.get());
    out.synchronous_commit = PQgetvalue(r.get(), 0, 0);
  }
  // The pid keeps two runs against one database apart.
  auto const table = "windi_bench_baseline_" + std::to_string(getpid());
  scratch_table scratch(admin.get(), table);
  auto const sql = insert_sql(table, o.rows_per_transaction);

  // Connect and prepare before the clock starts: the figure is inserts, not connection setup.
  std::vector<connection> conns;
  for (int i = 0; i < o.connections; ++i) {
    conns.push_back(connect(o.url));
    result r(PQprepare(conns.back().get(), "ins", sql.c_str(), 0, nullptr), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("prepare", conns.back().get());
  }

  auto const start = now_ns();
  auto const stop = start + std::int64_t{o.seconds} * 1'000'000'000;
  std::vector<worker_totals> totals(conns.size());
  std::vector<std::exception_ptr> errors(conns.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        totals[i] = insert_loop(conns[i].get(), o, static_cast<int>(i), stop);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);

  for (auto const& t : totals) {
    out.rows += t.rows;
    out.transactions += t.transactions;
  }
  out.rows_per_second = static_cast<double>(out.rows) / o.seconds;
  return out;
}

}  // namespace windi::loadgen
