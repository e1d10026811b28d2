# Writes OUTPUT: a C++ file defining `std::string_view NAMESPACE::FUNCTION()` that returns INPUT's text.
file(READ "${INPUT}" text)
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by cmake/embed_file.cmake. Do not edit.
#include <string_view>
namespace ${NAMESPACE} {
std::string_view ${FUNCTION}() {
  static constexpr std::string_view text = R\"windi_embedded(${text})windi_embedded\";
  return text;
}
}  // namespace ${NAMESPACE}
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
