# Writes OUTPUT: a C++ file defining migrations_for() with every migrations/<backend>/NNNN_name.sql as a literal.
file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}/migrations" "${SOURCE_DIR}/migrations/*.sql")
list(SORT files)
set(body "")
foreach(backend sqlite postgres)
  string(APPEND body "static const migration ${backend}_migrations[] = {\n")
  set(count 0)
  foreach(f ${files})
    if(f MATCHES "^${backend}/([0-9]+)_(.*)\\.sql$")
      math(EXPR version "${CMAKE_MATCH_1}")
      set(name "${CMAKE_MATCH_2}")
      file(READ "${SOURCE_DIR}/migrations/${f}" sql)
      string(APPEND body "  {${version}, \"${name}\", R\"windi_sql(${sql})windi_sql\"},\n")
      math(EXPR count "${count}+1")
    endif()
  endforeach()
  if(count EQUAL 0)
    string(APPEND body "  {0, \"\", \"\"},\n")
  endif()
  string(APPEND body "};\nstatic const std::size_t ${backend}_count = ${count};\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from migrations/ by cmake/embed_migrations.cmake. Do not edit.
#include \"store/migrations.hpp\"
#include <cstddef>
namespace windi {
${body}
std::span<const migration> migrations_for(std::string_view backend) {
  if (backend == \"sqlite\") return {sqlite_migrations, sqlite_count};
  if (backend == \"postgres\") return {postgres_migrations, postgres_count};
  return {};
}
}  // namespace windi
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
