// Configuration: the .env parser and settings built from what it read, DATABASE_URL (parse_database_url,
// mask_url_password) and REDIS_URL (redis::parse_url, which may only throw std::invalid_argument).
//   input: the text of a .env file; its first line is also tried as DATABASE_URL and REDIS_URL
#include "bus/redis_connection.hpp"
#include "config/settings.hpp"
#include "fuzz_support.hpp"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  auto text = windi::fuzz::bytes(data, size);
  auto vars = windi::parse_dotenv(text);
  for (auto const& [key, value] : vars) WINDI_FUZZ_CHECK(key.find('\n') == std::string::npos);
  if (auto cfg = windi::settings_from_variables(vars)) (void)windi::validate_for_serving(*cfg);

  std::string const line(text.substr(0, text.find('\n')));
  if (auto db = windi::parse_database_url(line, "data")) {
    WINDI_FUZZ_CHECK(!db->sqlite_path.empty() || !db->postgres_conninfo.empty());
  }
  auto masked = windi::mask_url_password(line);
  WINDI_FUZZ_CHECK(masked.size() <= line.size() + 3);
  try {
    auto ep = windi::redis::parse_url(line);
    WINDI_FUZZ_CHECK(!ep.host.empty() && ep.port != 0 && ep.db >= 0);
  } catch (std::invalid_argument const&) {
    // A start-up failure with a message: expected for anything but
    // redis://[[user]:password@]host[:port][/db].
  }
  return 0;
}
