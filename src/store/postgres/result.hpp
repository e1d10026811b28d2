#pragma once
// Owning wrapper over a PGresult and text-format field parsing. Results are requested in text format, so
// every value is parsed here, in one place; the exception is bytea read in binary format
// (connection::format), whose bytes bytes() hands over as they are.
#include "core/error.hpp"

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace windi::pg {

class result {
 public:
  result() = default;
  explicit result(PGresult* raw) : raw_(raw) {}

  explicit operator bool() const { return raw_ != nullptr; }
  PGresult* get() const { return raw_.get(); }

  // True for PGRES_COMMAND_OK / PGRES_TUPLES_OK (and the other non-error statuses).
  bool ok() const;
  int rows() const { return raw_ ? PQntuples(raw_.get()) : 0; }

  bool is_null(int row, int column) const { return PQgetisnull(raw_.get(), row, column) != 0; }
  std::string_view view(int row, int column) const;
  std::string text(int row, int column) const { return std::string(view(row, column)); }
  std::optional<std::string> optional_text(int row, int column) const;
  // NULL reads as 0: callers only read nullable integers after checking is_null when it matters.
  std::int64_t int64(int row, int column) const;
  bool boolean(int row, int column) const;
  // A bytea column of a result in binary format: its bytes, any byte included (NUL too). Not for text
  // results, where bytea is hex.
  std::string_view bytes(int row, int column) const { return view(row, column); }
  bool binary(int column) const { return raw_ && PQfformat(raw_.get(), column) == 1; }

  // Error fields; empty when absent.
  std::string sqlstate() const { return field(PG_DIAG_SQLSTATE); }
  std::string constraint() const { return field(PG_DIAG_CONSTRAINT_NAME); }
  std::string message() const;

 private:
  struct deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  std::string field(int code) const;

  std::unique_ptr<PGresult, deleter> raw_;
};

// The failure for a server-reported error: connection, resource and shutdown classes are errc::unavailable
// (retrying later may work); everything else is a bug, errc::internal. `what` names the operation.
failure sql_failure(result const& r, std::string_view what);

}  // namespace windi::pg
