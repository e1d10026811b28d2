#pragma once
// Reading a search snippet's marks (search_hit_open / search_hit_close), shared by the search test suites.
#include "core/search_query.hpp"

#include <string>
#include <vector>

namespace windi::testing {

// The snippet with its marks taken out.
inline std::string unmarked(std::string snippet) {
  for (auto mark : {search_hit_open, search_hit_close}) {
    for (auto at = snippet.find(mark); at != std::string::npos; at = snippet.find(mark))
      snippet.erase(at, mark.size());
  }
  return snippet;
}

// The words a snippet marks as matched.
inline std::vector<std::string> marked(std::string const& snippet) {
  std::vector<std::string> out;
  for (auto open = snippet.find(search_hit_open); open != std::string::npos;
       open = snippet.find(search_hit_open, open + 1)) {
    auto const start = open + search_hit_open.size();
    auto const close = snippet.find(search_hit_close, start);
    if (close == std::string::npos) break;
    out.push_back(snippet.substr(start, close - start));
  }
  return out;
}

}  // namespace windi::testing
