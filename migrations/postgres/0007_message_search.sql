-- Message search (store::search_messages): a text search configuration for English and Russian, a tsvector of
-- every message kept by PostgreSQL itself (a generated column, so every insert, edit and delete updates it in the
-- statement that writes the text), a GIN index over it, and the functions that turn the parsed query
-- (src/core/search_query.hpp) into a tsquery and a found message into its snippet.
--
-- Needs the unaccent extension (in contrib, shipped with PostgreSQL's packages and images; trusted, so the owner
-- of the database may create it) and a database whose LC_CTYPE knows Unicode letters (en_US.UTF-8, C.UTF-8, ...;
-- under "C" PostgreSQL's text search and regular expressions see no letter outside ASCII).
-- Adding the column rewrites messages under an exclusive lock, computing the vector of every message: about a
-- minute per million messages, the index included, on two cores.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- The stemmers without their stop word lists: every word is searchable ("not", "or", "the", "и").
CREATE TEXT SEARCH DICTIONARY windi_english_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH DICTIONARY windi_russian_stem (TEMPLATE = snowball, Language = russian);
-- As russian: words of ASCII letters are stemmed as English, other words as Russian, numbers kept as they are.
CREATE TEXT SEARCH CONFIGURATION windi_search (COPY = pg_catalog.russian);
ALTER TEXT SEARCH CONFIGURATION windi_search
  ALTER MAPPING FOR asciiword, asciihword, hword_asciipart WITH windi_english_stem;
ALTER TEXT SEARCH CONFIGURATION windi_search
  ALTER MAPPING FOR word, hword, hword_part WITH windi_russian_stem;

-- The text as the configuration reads it: one word per run of letters, digits and combining marks of the text
-- (as the query is split, src/core/search_query.cpp), separated by single spaces, accents and ligatures folded
-- (é -> e, ё -> е, ß -> ss, decomposed accents included), nothing else left. Words are split before the parser
-- sees them, so "bob@example.com" or "end.Start" are words like any other, and folded before it classifies them,
-- so "naïve" is stemmed as the English word it becomes. Word n of the text is position n of its vector: the
-- snippet relies on that.
-- BEGIN ATOMIC binds unaccent and its dictionary when the function is created, whatever the search_path of a
-- later caller (a restore recomputing the column, say). Immutable as long as unaccent's rules are not edited.
CREATE FUNCTION windi_search_text(p_text TEXT)
RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
BEGIN ATOMIC
  SELECT regexp_replace(
           unaccent('unaccent'::regdictionary,
                    normalize(regexp_replace(p_text, '[^[:alnum:]\u0300-\u036f]+', ' ', 'g'), NFC)),
           '[^[:alnum:] ]', '', 'g');
END;

-- A deleted message has an empty text, so an empty vector: it never matches.
ALTER TABLE messages
  ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('windi_search', windi_search_text(text))) STORED;
-- New entries wait in the index's pending list, which every search reads whole, until a write or vacuum merges
-- them in: PostgreSQL's default of at most 4 MB of them. A full list adds about 3 ms to every search; a list of
-- 256 kB, merged 16 times as often, made each send's indexing cost twice as much (sends with the index went from
-- 0.61 to 0.68 of those without it).
CREATE INDEX messages_search ON messages USING gin (search) WITH (gin_pending_list_limit = 4096);
-- How common each word is, for windi_search_ids' plans from the first search on (not after autovacuum's next look).
-- Never on an empty table: analyzed empty, it is planned as empty until autovacuum's next look (about a minute), and
-- windi_append_messages' generic plan, made on a connection's first send, would then scan messages for every
-- duplicate check: sends ran ten times slower on a new database. Never analyzed, it is planned as ten pages at least.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM messages) THEN
    ANALYZE messages (search);
  END IF;
END
$$;

-- --- the query

-- Every one (any one) of a set of queries; empty queries drop out (tsquery's && and || keep the other operand).
CREATE AGGREGATE windi_tsquery_and(tsquery) (SFUNC = tsquery_and, STYPE = tsquery);
CREATE AGGREGATE windi_tsquery_or(tsquery) (SFUNC = tsquery_or, STYPE = tsquery);

-- A term of the query (a word, or the words of a phrase separated by spaces), folded as the text is: its words
-- in order, next to each other. NULL when nothing of it is left to search for.
CREATE FUNCTION windi_search_term(p_term TEXT)
RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
BEGIN ATOMIC
  SELECT phraseto_tsquery('windi_search', f.folded)
    FROM (SELECT windi_search_text(p_term) AS folded) f
   WHERE f.folded ~ '[^ ]';
END;

-- A word being typed: its stem (as the text's words are stemmed) as the start of a word. The folded word is
-- quoted as a tsquery operand (only letters and digits remain, but quotes and backslashes would be doubled).
CREATE FUNCTION windi_search_prefix(p_word TEXT)
RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
BEGIN ATOMIC
  SELECT to_tsquery('windi_search',
                    '''' || replace(replace(btrim(f.folded), '\', '\\'), '''', '''''') || ''':*')
    FROM (SELECT windi_search_text(p_word) AS folded) f
   WHERE f.folded ~ '[^ ]';
END;

-- The query of src/core/search_query.hpp's search_terms: every required term and the prefix, none of the
-- excluded terms. NULL (matching nothing) when nothing is left to search for but exclusions.
-- Values are only ever bound as arguments: user text never becomes SQL or tsquery syntax.
CREATE FUNCTION windi_search_query(p_required TEXT[], p_excluded TEXT[], p_prefix TEXT)
RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT CASE WHEN x.q IS NULL THEN w.q ELSE w.q && !! x.q END
    FROM (SELECT windi_tsquery_and(a.q) AS q
            FROM (SELECT windi_search_term(t) FROM unnest(p_required) t
                  UNION ALL
                  SELECT windi_search_prefix(p_prefix)) a(q)) w,
         (SELECT windi_tsquery_or(windi_search_term(t)) AS q FROM unnest(p_excluded) t) x;
END;

-- What a snippet marks: any single word of the required terms, or a word starting as the prefix.
CREATE FUNCTION windi_search_marks(p_required TEXT[], p_prefix TEXT)
RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT windi_tsquery_or(a.q)
    FROM (SELECT windi_search_term(w)
            FROM unnest(p_required) t, regexp_split_to_table(t, ' ') w
          UNION ALL
          SELECT windi_search_prefix(p_prefix)) a(q);
END;

-- --- the snippet

-- The text of a found message with each matched word between U+E000 and U+E001 (src/core/search_query.hpp
-- search_hit_open / search_hit_close). A text of up to 300 bytes is shown whole. Of a longer one, its first
-- matched word and what follows, with about 100 bytes before it (more when little follows), less than 400 bytes
-- in all; not cut inside a word unless it is that long, and "…" where cut.
-- Words are the runs of letters, digits and combining marks, numbered as the positions of p_vector (the message's
-- search column, of windi_search_text): a word is matched when its lexeme in the vector matches p_marks
-- (windi_search_marks), so no text is parsed or stemmed again. Every occurrence of a matched word is marked (the
-- same letters are the same lexeme). Words hold no character a regular expression gives a meaning to.
CREATE FUNCTION windi_search_snippet(p_text TEXT, p_vector tsvector, p_marks tsquery)
RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
  v_words TEXT[] := regexp_split_to_array(p_text, '[^[:alnum:]\u0300-\u036f]+');
  v_first INT;     -- word n of the vector is v_words[n + v_first]
  v_matched TEXT;  -- the matched words, as a regular expression
  v_at INT;        -- the character where the first matched word starts
  v_before TEXT;
  v_after TEXT;
  v_shown TEXT;
  v_chars INT;
  v_budget INT;
BEGIN
  v_first := CASE WHEN v_words[1] = '' THEN 1 ELSE 0 END;
  SELECT '(?<![[:alnum:]\u0300-\u036f])(?:' || string_agg(DISTINCT v_words[pos + v_first], '|')
           || ')(?![[:alnum:]\u0300-\u036f])'
    INTO v_matched
    FROM unnest(p_vector) u, unnest(u.positions) pos
   WHERE array_to_tsvector(ARRAY[u.lexeme]) @@ p_marks AND v_words[pos + v_first] <> '';
  IF octet_length(p_text) <= 300 THEN
    RETURN CASE WHEN v_matched IS NULL THEN p_text
                ELSE regexp_replace(p_text, v_matched, U&'\E000' || '\&' || U&'\E001', 'g') END;
  END IF;

  v_at := CASE WHEN v_matched IS NULL THEN 1 ELSE greatest(regexp_instr(p_text, v_matched), 1) END;
  -- From the match: as much as fits once marked, leaving 100 bytes for what comes before.
  v_after := substr(p_text, v_at);
  v_budget := 380 - least(100, octet_length(left(p_text, v_at - 1)));
  v_chars := v_budget;
  LOOP
    v_shown := left(v_after, v_chars);
    IF v_chars < char_length(v_after) THEN
      IF substr(v_after, v_chars, 2) ~ '^[[:alnum:]\u0300-\u036f]{2}' THEN
        v_shown := COALESCE(NULLIF(regexp_replace(v_shown, '[[:alnum:]\u0300-\u036f]+$', ''), ''), v_shown);
      END IF;
      v_shown := regexp_replace(v_shown, '[[:space:],.;:!?-]+$', '') || '…';
    END IF;
    IF v_matched IS NOT NULL THEN
      v_shown := regexp_replace(v_shown, v_matched, U&'\E000' || '\&' || U&'\E001', 'g');
    END IF;
    EXIT WHEN octet_length(v_shown) <= v_budget;
    v_chars := v_chars * v_budget / octet_length(v_shown);
  END LOOP;
  -- Before it: what is left of the 380 bytes.
  v_budget := 380 - octet_length(v_shown);
  v_chars := v_budget;
  LOOP
    v_before := right(left(p_text, v_at - 1), v_chars);
    EXIT WHEN octet_length(v_before) <= v_budget;
    v_chars := v_chars * v_budget / octet_length(v_before);
  END LOOP;
  IF char_length(v_before) < v_at - 1 THEN
    IF substr(p_text, v_at - char_length(v_before) - 1, 2) ~ '^[[:alnum:]\u0300-\u036f]{2}' THEN
      v_before := regexp_replace(v_before, '^[[:alnum:]\u0300-\u036f]+', '');
    END IF;
    v_before := '…' || regexp_replace(v_before, '^[[:space:],.;:!?-]+', '');
  END IF;
  RETURN v_before || v_shown;
END
$$;

-- --- the search

-- How many messages match p_query, as the planner estimates it from the search column's statistics (exact for the
-- most common words, a small guess for the rest). Volatile only because EXPLAIN runs in no other kind of function.
CREATE FUNCTION windi_search_matching(p_query tsquery)
RETURNS FLOAT8
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_plan JSON;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE m.search @@ $1' INTO v_plan USING p_query;
  RETURN (v_plan -> 0 -> 'Plan' ->> 'Plan Rows')::FLOAT8;
END
$$;

-- The ids of the newest messages (at most p_limit, by id descending) that match p_query in the chats p_user is a
-- member of now (only those of p_chats, unless empty), sent by p_sender (unless NULL), with an id below p_before
-- (unless NULL). Nothing for a NULL query.
-- Three ways, by cost:
--   * The caller's messages are few (their chats hold at most 10,000): read them all, then sort the matches.
--   * The words are common among them: walk back from the newest message of the caller's chats until enough
--     match. How far is reckoned from the planner's estimate of how many messages match (the column's statistics
--     of its most common words), as if matches were spread evenly; the walk goes at most 4 times that far (a word
--     common long ago but not lately would otherwise walk the whole table), and the text index finds the rest.
--   * Otherwise the text index lists the matches, and those in the caller's chats are sorted.
-- Every statement is planned for the actual query and chat ids (custom plans: a generic plan would guess one
-- selectivity for every query; a plan costs a fraction of a millisecond).
CREATE FUNCTION windi_search_ids(p_user BIGINT, p_query tsquery, p_chats BIGINT[], p_sender BIGINT,
                                 p_before BIGINT, p_limit INT)
RETURNS SETOF BIGINT
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
  v_chats BIGINT[];
  v_messages BIGINT;  -- in those chats, deleted ones included (seqs are dense)
  v_below BIGINT;     -- every candidate's id is smaller
  v_table BIGINT;     -- messages in the whole table, about
  v_matching FLOAT8;  -- in the whole table, as the planner estimates
  v_walk FLOAT8;      -- the cost of walking back, matches spread evenly
  v_listed FLOAT8;    -- the cost of the text index
  v_floor BIGINT;
  v_found BIGINT;
BEGIN
  IF p_query IS NULL THEN
    RETURN;
  END IF;
  v_chats := ARRAY(SELECT cm.chat_id FROM chat_members cm
                    WHERE cm.user_id = p_user AND (cardinality(p_chats) = 0 OR cm.chat_id = ANY (p_chats)));
  SELECT sum(c.last_seq), max((SELECT m.id FROM messages m WHERE m.chat_id = c.id AND m.seq = c.last_seq)) + 1
    INTO v_messages, v_below
    FROM chats c WHERE c.id = ANY (v_chats);
  v_below := least(v_below, p_before);
  IF v_below IS NULL THEN
    RETURN;
  END IF;

  IF v_messages <= 10000 THEN
    -- ts_match_vq is @@ without its index (here and in the walk below): the text index would list every message
    -- with a common word (ten milliseconds for 100,000 of them), where these are a few thousand rows at most (a
    -- microsecond each).
    RETURN QUERY
      WITH matches AS MATERIALIZED (
        SELECT m.id FROM messages m
         WHERE m.chat_id = ANY (v_chats) AND m.id < v_below AND (p_sender IS NULL OR m.sender_id = p_sender)
           AND ts_match_vq(m.search, p_query))
      SELECT x.id FROM matches x ORDER BY x.id DESC LIMIT p_limit;
    RETURN;
  END IF;

  v_matching := greatest(windi_search_matching(p_query), 1);
  v_table := (SELECT m.id FROM messages m ORDER BY m.id DESC LIMIT 1);
  -- In rows walked (ids stand in for rows: they are dense; a row outside the caller's chats is only looked at). The
  -- index way either fetches every match and keeps those in the caller's chats, or first intersects the matches
  -- with the caller's messages (both indexes read whole) and fetches only what is left. Measured at a million
  -- messages, in walked rows: an entry of the text index read into a bitmap costs 0.5, one of the chats' index 1.4,
  -- a match fetched from the table 3.
  v_walk := p_limit * v_table::FLOAT8 * v_table / (v_messages * v_matching);
  v_listed := least(3 * v_matching,
                    0.5 * v_matching + 1.4 * v_messages + 3 * v_matching * v_messages / v_table);
  IF v_walk < v_listed THEN
    v_floor := v_below - ceil(4 * v_walk)::BIGINT;
    RETURN QUERY
      SELECT m.id FROM messages m
       WHERE m.id >= v_floor AND m.id < v_below AND m.chat_id = ANY (v_chats)
         AND (p_sender IS NULL OR m.sender_id = p_sender) AND ts_match_vq(m.search, p_query)
       ORDER BY m.id DESC
       LIMIT p_limit;
    GET DIAGNOSTICS v_found = ROW_COUNT;
    IF v_found >= p_limit THEN
      RETURN;
    END IF;
    v_below := v_floor;
    p_limit := p_limit - v_found;
  END IF;
  RETURN QUERY
    WITH matches AS MATERIALIZED (
      SELECT m.id FROM messages m
       WHERE m.search @@ p_query AND m.chat_id = ANY (v_chats) AND m.id < v_below
         AND (p_sender IS NULL OR m.sender_id = p_sender))
    SELECT x.id FROM matches x ORDER BY x.id DESC LIMIT p_limit;
END
$$;
