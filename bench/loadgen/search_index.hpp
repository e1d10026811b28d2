#pragma once
// What the search benchmark does to databases besides loading them: a fresh PostgreSQL database for each
// phase (so the phases compared start alike), the same schema without the search index (to measure what
// indexing costs a send), and the size of the index.
#include <boost/json/object.hpp>

#include <string>

namespace windi::loadgen {

// Creates (dropping it first if it exists) the database <name of url's database>_<suffix> and returns the URL
// of it. The role of `url` needs CREATEDB, or must own a database of that name already.
std::string fresh_postgres_database(std::string const& url, std::string const& suffix);

// Takes the message search index out of the schema of a windi database that has it: afterwards stores, edits
// and deletes write no index entry (and search no longer works). `database` is an SQLite file or a PostgreSQL
// URL, after `backend`.
void drop_search_index(std::string const& backend, std::string const& database);

// The bytes the index takes: {"index_bytes", ...}; PostgreSQL also reports the tsvector column and the GIN
// index apart.
boost::json::object search_index_size(std::string const& backend, std::string const& database);

}  // namespace windi::loadgen
