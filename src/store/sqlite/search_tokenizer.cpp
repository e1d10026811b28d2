#include "store/sqlite/search_tokenizer.hpp"

#include "store/sqlite/connection.hpp"

#include <libstemmer.h>

#include <memory>
#include <string>
#include <string_view>

namespace windi::sqlite {
namespace {

fts5_api* fts5_of(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr), db, "fts5 api");
  sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (api == nullptr || api->iVersion < 2) throw sqlite_error(SQLITE_ERROR, "SQLite is built without FTS5");
  return api;
}

struct stemmer_deleter {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};
using stemmer_ptr = std::unique_ptr<sb_stemmer, stemmer_deleter>;

stemmer_ptr make_stemmer(char const* language) {
  stemmer_ptr s(sb_stemmer_new(language, "UTF_8"));
  if (!s) throw sqlite_error(SQLITE_NOMEM, std::string("no Snowball stemmer for ") + language);
  return s;
}

// Cyrillic letters are encoded with the lead bytes 0xD0 - 0xD4 (U+0400 - U+052F).
bool has_cyrillic(std::string_view word) {
  for (unsigned char c : word) {
    if (c >= 0xD0 && c <= 0xD4) return true;
  }
  return false;
}

// One instance per index and connection: the stemmers keep state between calls, and a connection is used by
// one thread at a time.
class tokenizer {
 public:
  tokenizer(fts5_tokenizer parent_api, Fts5Tokenizer* parent)
      : parent_api_(parent_api),
        parent_(parent),
        english_(make_stemmer("english")),
        russian_(make_stemmer("russian")) {}
  ~tokenizer() { parent_api_.xDelete(parent_); }
  tokenizer(tokenizer const&) = delete;
  tokenizer& operator=(tokenizer const&) = delete;

  int tokenize(void* context, int flags, char const* text, int length,
               int (*emit)(void*, int, char const*, int, int, int)) {
    pass pass{this, context, emit};
    return parent_api_.xTokenize(parent_, &pass, flags, text, length, &tokenizer::on_word);
  }

 private:
  struct pass {
    tokenizer* self;
    void* context;
    int (*emit)(void*, int, char const*, int, int, int);
  };

  static int on_word(void* p, int flags, char const* word, int length, int start, int end) {
    auto& [self, context, emit] = *static_cast<pass*>(p);
    if (length <= 0) return emit(context, flags, word, length, start, end);
    sb_stemmer* stemmer =
        has_cyrillic({word, static_cast<std::size_t>(length)}) ? self->russian_.get() : self->english_.get();
    auto const* stem = sb_stemmer_stem(stemmer, reinterpret_cast<sb_symbol const*>(word), length);
    if (stem == nullptr) return SQLITE_NOMEM;
    return emit(context, flags, reinterpret_cast<char const*>(stem), sb_stemmer_length(stemmer), start, end);
  }

  fts5_tokenizer parent_api_;
  Fts5Tokenizer* parent_;
  stemmer_ptr english_;
  stemmer_ptr russian_;
};

int create(void* api_pointer, char const**, int, Fts5Tokenizer** out) {
  auto* api = static_cast<fts5_api*>(api_pointer);
  void* parent_data = nullptr;
  fts5_tokenizer parent_api{};
  int rc = api->xFindTokenizer(api, "unicode61", &parent_data, &parent_api);
  if (rc != SQLITE_OK) return rc;
  // Folds case, and removes the accents of Latin letters (Cyrillic й and ё stay: the stemmer knows them).
  char const* parent_args[] = {"remove_diacritics", "2"};
  Fts5Tokenizer* parent = nullptr;
  rc = parent_api.xCreate(parent_data, parent_args, 2, &parent);
  if (rc != SQLITE_OK) return rc;
  try {
    *out = reinterpret_cast<Fts5Tokenizer*>(new tokenizer(parent_api, parent));
    return SQLITE_OK;
  } catch (...) {
    parent_api.xDelete(parent);
    return SQLITE_NOMEM;
  }
}

void destroy(Fts5Tokenizer* t) { delete reinterpret_cast<tokenizer*>(t); }

int tokenize(Fts5Tokenizer* t, void* context, int flags, char const* text, int length,
             int (*emit)(void*, int, char const*, int, int, int)) {
  return reinterpret_cast<tokenizer*>(t)->tokenize(context, flags, text, length, emit);
}

}  // namespace

void register_search_tokenizer(sqlite3* db) {
  fts5_api* api = fts5_of(db);
  fts5_tokenizer methods{&create, &destroy, &tokenize};
  check(api->xCreateTokenizer(api, "windi", api, &methods, nullptr), db, "register the search tokenizer");
}

}  // namespace windi::sqlite
