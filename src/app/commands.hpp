#pragma once
#include "config/settings.hpp"

#include <cstdint>
#include <string>

namespace windi::app {

// Each returns the process exit code.
int serve(settings const& s);
int migrate(settings const& s);
int create_test_data(settings const& s);

// windi test-client: needs no settings, only a running server.
struct test_client_options {
  std::string url = "http://localhost:8000";
  std::string username = "alice";
  std::string password = "password123";
  std::int64_t chat_id = 0;  // 0: the user's first chat
  std::string text = "Hello from windi test-client";
  double timeout_seconds = 5;
};
int test_client(test_client_options const& options);

}  // namespace windi::app
