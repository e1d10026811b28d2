#include "bus/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <stdexcept>

namespace windi::redis {
namespace asio = boost::asio;

struct connection::pending {
  explicit pending(strand const& s) : timer(s) {}
  asio::steady_timer timer;
  bool done = false;
  std::optional<reply> result;
};

void log_failure::operator()(std::exception_ptr error) const {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (std::exception const& e) {
    spdlog::error("redis: the {} task failed: {}", task, e.what());
  }
}

reply convert(redisReply const& r) {
  reply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r.type == REDIS_REPLY_STRING   ? reply::kind::string
                 : r.type == REDIS_REPLY_STATUS ? reply::kind::status
                                                : reply::kind::error;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
      break;
    default:
      break;
  }
  return out;
}

std::optional<std::pair<long long, long long>> two_integers(std::optional<reply> const& answer) {
  if (!answer || answer->type != reply::kind::array || answer->elements.size() != 2) return std::nullopt;
  auto const& a = answer->elements[0];
  auto const& b = answer->elements[1];
  if (a.type != reply::kind::integer || b.type != reply::kind::integer) return std::nullopt;
  return std::pair{a.integer, b.integer};
}

namespace {

// hiredis wants parallel arrays of pointers and lengths; the strings must outlive the call only.
template <class Strings>
int submit(redisAsyncContext* context, redisCallbackFn* fn, void* privdata, Strings const& args) {
  std::vector<char const*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (auto const& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return redisAsyncCommandArgv(context, fn, privdata, static_cast<int>(argv.size()), argv.data(),
                               lengths.data());
}

// Argument lists are built outside coroutines: GCC 12 mishandles initializer lists inside them.
std::vector<std::string> two_args(std::string first, std::string second) {
  std::vector<std::string> args;
  args.push_back(std::move(first));
  args.push_back(std::move(second));
  return args;
}

std::vector<std::string> auth_args(endpoint const& ep) {
  std::vector<std::string> args;
  args.push_back("AUTH");
  if (!ep.username.empty()) args.push_back(ep.username);
  args.push_back(ep.password);
  return args;
}

}  // namespace

endpoint parse_url(std::string const& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("REDIS_URL is not a URL");
  if (parsed->scheme() != "redis") throw std::invalid_argument("REDIS_URL must start with redis:// (no TLS)");
  endpoint ep;
  ep.host = parsed->host_address();
  if (ep.host.empty()) throw std::invalid_argument("REDIS_URL has no host");
  if (parsed->has_port()) {
    if (parsed->port_number() == 0) throw std::invalid_argument("REDIS_URL has a bad port");
    ep.port = parsed->port_number();
  }
  if (parsed->has_userinfo()) {
    ep.username = parsed->user();
    ep.password = parsed->password();
  }
  std::string path = parsed->path();
  if (!path.empty() && path != "/") {
    std::string_view digits = std::string_view(path).substr(1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ep.db);
    if (ec != std::errc{} || end != digits.data() + digits.size() || ep.db < 0) {
      throw std::invalid_argument("REDIS_URL database must be a number");
    }
  }
  return ep;
}

connection::connection(strand s, std::string name)
    : strand_(s), name_(std::move(name)), resolver_(s), step_signal_(s), closed_signal_(s) {
  // Never re-armed: changing the expiry would cancel the waits of wait_closed(), which is the signal itself.
  closed_signal_.expires_at(asio::steady_timer::time_point::max());
}

connection::~connection() { close(); }

asio::awaitable<std::optional<std::string>> connection::resolve(std::string host, duration deadline) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) co_return host;
  asio::steady_timer watchdog(strand_, deadline);
  std::weak_ptr<connection> weak = weak_from_this();
  auto on_deadline = [weak](boost::system::error_code timer_ec) {
    if (auto self = weak.lock(); self && !timer_ec) self->resolver_.cancel();
  };
  watchdog.async_wait(std::move(on_deadline));
  auto results = co_await resolver_.async_resolve(host, "", asio::redirect_error(asio::use_awaitable, ec));
  watchdog.cancel();
  if (ec || results.empty()) {
    fail("cannot resolve " + host + (ec ? ": " + ec.message() : std::string()));
    co_return std::nullopt;
  }
  co_return results.begin()->endpoint().address().to_string();
}

asio::awaitable<bool> connection::open(endpoint ep, duration deadline) {
  close();
  std::uint64_t const attempt = attempt_;
  last_error_.clear();
  auto ip = co_await resolve(ep.host, deadline);
  if (!ip || attempt != attempt_) co_return false;

  redisAsyncContext* context = redisAsyncConnect(ip->c_str(), ep.port);
  if (context == nullptr) {
    fail("out of memory");
    co_return false;
  }
  if (context->err != 0) {
    fail(context->errstr);
    redisAsyncFree(context);
    co_return false;
  }
  context_ = context;
  context->data = this;
  redisEnableKeepAlive(&context->c);
  redisAsyncSetConnectCallback(context, &on_connect);
  redisAsyncSetDisconnectCallback(context, &on_disconnect);
  try {
    attach();
  } catch (std::exception const& e) {
    fail(std::string("cannot watch the socket: ") + e.what());
    close();
    co_return false;
  }

  boost::system::error_code ec;
  step_signal_.expires_after(deadline);
  co_await step_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (attempt != attempt_ || !is_open()) {
    if (last_error_.empty()) fail("no connection within the deadline");
    close();
    co_return false;
  }

  if (!ep.password.empty()) {
    auto auth = auth_args(ep);
    auto answer = co_await command(std::move(auth), deadline);
    if (!answer || answer->type == reply::kind::error) {
      fail(answer ? "authentication failed" : "no answer to AUTH");
      close();
      co_return false;
    }
  }
  if (ep.db != 0) {
    auto select = two_args("SELECT", std::to_string(ep.db));
    auto answer = co_await command(std::move(select), deadline);
    if (!answer || answer->type == reply::kind::error) {
      fail(answer ? "SELECT failed: " + answer->text : "no answer to SELECT");
      close();
      co_return false;
    }
  }
  bool const ready = attempt == attempt_ && is_open();
  co_return ready;
}

asio::awaitable<void> connection::wait_closed() {
  if (!is_open()) co_return;
  boost::system::error_code ec;
  co_await closed_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<std::optional<reply>> connection::command(std::vector<std::string> args, duration deadline) {
  if (!is_open()) co_return std::nullopt;
  auto state = std::make_shared<pending>(strand_);
  auto* holder = new std::shared_ptr<pending>(state);
  if (submit(context_, &on_reply, holder, args) != REDIS_OK) {
    delete holder;
    co_return std::nullopt;
  }
  boost::system::error_code ec;
  state->timer.expires_after(deadline);
  co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!state->done) {
    spdlog::warn("redis {}: no reply to {} within the deadline", name_, args.front());
    co_return std::nullopt;
  }
  co_return std::move(state->result);
}

bool connection::send(std::vector<std::string_view> const& args) {
  if (!is_open() || submit(context_, &on_sent, this, args) != REDIS_OK) return false;
  ++unanswered_;
  return true;
}

void connection::close() {
  ++attempt_;
  resolver_.cancel();
  if (context_ == nullptr) return;
  open_ = false;
  redisAsyncContext* context = context_;
  // Inside one of its own callbacks hiredis defers the free until the callback returns; cleanup() runs then.
  bool const deferred = (context->c.flags & REDIS_IN_CALLBACK) != 0;
  redisAsyncFree(context);
  if (!deferred) forget();
}

void connection::fail(std::string what) {
  last_error_ = std::move(what);
  spdlog::debug("redis {}: {}", name_, last_error_);
}

void connection::attach() {
  ++generation_;
  socket_.emplace(strand_, context_->c.fd);
  context_->ev.data = this;
  context_->ev.addRead = &add_read;
  context_->ev.delRead = &del_read;
  context_->ev.addWrite = &add_write;
  context_->ev.delWrite = &del_write;
  context_->ev.cleanup = &cleanup;
  read_armed_ = write_armed_ = false;
  // Like hiredis's own adapters: writability reports the end of the non-blocking connect.
  want_read_ = want_write_ = true;
  arm(true);
  arm(false);
}

void connection::arm(bool read) {
  bool& armed = read ? read_armed_ : write_armed_;
  if (armed || !socket_) return;
  armed = true;
  std::weak_ptr<connection> weak = weak_from_this();
  std::uint64_t const generation = generation_;
  auto on_ready = [weak, generation, read](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self || generation != self->generation_) return;
    (read ? self->read_armed_ : self->write_armed_) = false;
    bool& want = read ? self->want_read_ : self->want_write_;
    if (ec || self->context_ == nullptr || !want) return;
    // One-shot, as hiredis expects from its adapters: it asks again whenever it needs more.
    want = false;
    if (read) {
      redisAsyncHandleRead(self->context_);
    } else {
      redisAsyncHandleWrite(self->context_);
    }
  };
  socket_->async_wait(
      read ? asio::posix::stream_descriptor::wait_read : asio::posix::stream_descriptor::wait_write,
      std::move(on_ready));
}

// Called when the context is about to be freed, whoever frees it; the fd belongs to hiredis.
void connection::forget() {
  if (socket_) {
    boost::system::error_code ignored;
    socket_->cancel(ignored);
    socket_->release();
    socket_.reset();
  }
  ++generation_;
  context_ = nullptr;
  open_ = false;
  step_signal_.cancel();
  closed_signal_.cancel();
}

void connection::on_connect(redisAsyncContext const* context, int status) {
  auto* self = static_cast<connection*>(context->data);
  if (status == REDIS_OK) {
    self->open_ = true;
  } else {
    self->fail(context->errstr[0] != '\0' ? context->errstr : "connect failed");
  }
  self->step_signal_.cancel();
}

void connection::on_disconnect(redisAsyncContext const* context, int status) {
  auto* self = static_cast<connection*>(context->data);
  if (status != REDIS_OK) self->fail(context->errstr[0] != '\0' ? context->errstr : "connection lost");
  self->open_ = false;
}

void connection::on_reply(redisAsyncContext*, void* raw_reply, void* privdata) {
  std::unique_ptr<std::shared_ptr<pending>> holder(static_cast<std::shared_ptr<pending>*>(privdata));
  pending& state = **holder;
  state.done = true;
  if (raw_reply != nullptr) state.result = convert(*static_cast<redisReply*>(raw_reply));
  state.timer.cancel();
}

void connection::on_sent(redisAsyncContext*, void* raw_reply, void* privdata) {
  auto* self = static_cast<connection*>(privdata);
  if (self->unanswered_ > 0) --self->unanswered_;
  auto const* r = static_cast<redisReply const*>(raw_reply);
  if (r == nullptr || r->type != REDIS_REPLY_ERROR) return;
  std::string_view const error(r->str, r->len);
  if (self->on_error_) {
    self->on_error_(error);
  } else {
    spdlog::warn("redis {}: command failed: {}", self->name_, error);
  }
}

void connection::add_read(void* self) {
  auto* c = static_cast<connection*>(self);
  c->want_read_ = true;
  c->arm(true);
}
void connection::del_read(void* self) { static_cast<connection*>(self)->want_read_ = false; }
void connection::add_write(void* self) {
  auto* c = static_cast<connection*>(self);
  c->want_write_ = true;
  c->arm(false);
}
void connection::del_write(void* self) { static_cast<connection*>(self)->want_write_ = false; }
void connection::cleanup(void* self) { static_cast<connection*>(self)->forget(); }

}  // namespace windi::redis
