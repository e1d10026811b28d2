#include "bus/bus.hpp"

#include <atomic>

namespace windi {
namespace {

std::atomic<std::uint64_t> publications{0};

}  // namespace

std::uint64_t stamp_publication() { return publications.fetch_add(1) + 1; }

std::uint64_t latest_publication() { return publications.load(); }

}  // namespace windi
