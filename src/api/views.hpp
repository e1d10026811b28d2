#pragma once
// The JSON shapes of domain values, shared by the REST routes and the WebSocket events so that a message
// looks the same whichever way it reaches a client.
#include "core/file_urls.hpp"
#include "core/types.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace windi {

// "2026-11-25T23:56:04.123456Z"
std::string iso8601(micros t);

boost::json::object user_view(user const& u, bool with_email);
// read_by: how many members other than the sender have read it.
boost::json::object message_view(message const& m, int read_by);
boost::json::array reactions_view(std::vector<reaction_summary> const& reactions);
// [{id, name, size, content_type, width, height, url, thumbnail}]: as file_view shows a file, with the URLs
// the services signed for the message's chat.
boost::json::array attachments_view(std::vector<attachment> const& attachments);
boost::json::object member_view(member const& m);
boost::json::object chat_view(chat const& c);
boost::json::object chat_summary_view(chat_summary const& s);
// A file as the API shows it: {id, name, size, content_type, width, height, url, thumbnail}, with signed URLs
// of the file and its thumbnail (null without one) valid in `scope` (core/file_urls.hpp).
boost::json::object file_view(file_record const& f, file_url_signer const& urls, file_scope scope,
                              micros now);
// A search snippet as parts to show one after the other: [{"text": "...", "hit": false}, {"text": "word",
// "hit": true}, ...]. Plain text, never markup: a client sets each part as text and styles the hits.
boost::json::array snippet_view(std::string_view marked);

}  // namespace windi
