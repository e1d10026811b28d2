#pragma once
#include "config/settings.hpp"

namespace windi::app {

// Each returns the process exit code.
int serve(settings const& s);
int migrate(settings const& s);
int create_test_data(settings const& s);

}  // namespace windi::app
