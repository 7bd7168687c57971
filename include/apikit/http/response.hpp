#ifndef APIKIT_HTTP_RESPONSE_HPP
#define APIKIT_HTTP_RESPONSE_HPP

// The response a handler fills: a status, header fields, a body, or an API
// error. It belongs to its connection and is cleared, not freed, between
// requests, so its buffers are reused: filling it costs no allocation once
// the connection has served a request of the same size.
//
// The framing fields (Content-Length, Transfer-Encoding, Connection, Date)
// are the server's; setting one, or a field that is not a token or a value
// holding CR, LF or another control character, is a programming error and
// throws std::invalid_argument, which the server answers with a 500 — so no
// header can be injected through a response.
//
// An error is rendered only when the response is sent, after every
// middleware has run, so that the envelope carries the request id whoever
// raised the error.

#include <apikit/api/error.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>

#include <boost/json/memory_resource.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::http {

namespace detail {

// RFC 9110's grammar is core/http_grammar.hpp's.
using grammar::iequals;
using grammar::is_field_value;
using grammar::is_token;

inline bool is_framing_field(std::string_view name) noexcept {
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
           iequals(name, "connection") || iequals(name, "date");
}

struct response_access;

} // namespace detail

class response {
public:
    response() = default;
    response(response const&) = delete;
    response& operator=(response const&) = delete;

    unsigned status() const noexcept { return status_; }
    /// Sets the status code; it must be 200–999 (1xx are the server's).
    void status(unsigned s) {
        if (s < 200 || s > 999)
            throw std::invalid_argument("apikit::http::response: status out of range");
        status_ = s;
    }

    /// Adds a header field; an existing field of that name is kept (a
    /// response may carry a field twice, e.g. Set-Cookie).
    void insert(std::string_view name, std::string_view value) {
        check_field(name, value);
        if (detail::iequals(name, "content-type")) {
            content_type(value);
            return;
        }
        append_field(name, value);
    }

    /// Sets a header field, replacing every field of that name.
    void set(std::string_view name, std::string_view value) {
        check_field(name, value);
        if (detail::iequals(name, "content-type")) {
            content_type(value);
            return;
        }
        erase(name);
        append_field(name, value);
    }

    /// Removes every field of that name.
    void erase(std::string_view name) {
        // Each field is `name: value\r\n`, a name holds no ':' and a value
        // no '\n': a line is compared only when its ':' is where this
        // name's would be (and `name` itself is no name with a ':' in it),
        // and one search finds its end.
        std::size_t pos = 0;
        while (pos < fields_.size()) {
            std::string_view const rest = std::string_view(fields_).substr(pos);
            auto const line = rest.find('\n') + 1;
            if (rest.size() > name.size() && rest[name.size()] == ':' &&
                detail::iequals(rest.substr(0, name.size()), name) &&
                name.find(':') == std::string_view::npos)
                fields_.erase(pos, line);
            else
                pos += line;
        }
    }

    /// The value of the first field of that name.
    std::optional<std::string_view> header(std::string_view name) const noexcept {
        if (detail::iequals(name, "content-type"))
            return content_type_.empty() ? std::nullopt
                                         : std::optional<std::string_view>(content_type_);
        std::string_view f = fields_;
        while (!f.empty()) {
            auto const eol = f.find("\r\n");
            auto const line = f.substr(0, eol);
            auto const colon = line.find(':');
            if (detail::iequals(line.substr(0, colon), name))
                return line.substr(colon + 2);
            f.remove_prefix(eol + 2);
        }
        return std::nullopt;
    }

    /// The fields added so far, each as `Name: value\r\n`.
    std::string_view fields() const noexcept { return fields_; }

    std::string_view content_type() const noexcept { return content_type_; }
    void content_type(std::string_view ct) {
        if (!detail::is_field_value(ct))
            throw std::invalid_argument("apikit::http::response: bad Content-Type");
        content_type_.assign(ct);
    }

    std::string& body() noexcept { return body_; }
    std::string_view body() const noexcept { return body_; }

    /// A body of text with its media type.
    void text(std::string_view s, std::string_view type = "text/plain; charset=utf-8") {
        error_.reset();
        content_type(type);
        body_.assign(s);
    }

    /// The body, emptied, for JSON written straight into it: the fastest
    /// way to send a document assembled from parts already serialized (a
    /// page of records each rendered once and kept).
    std::string& json_body() {
        error_.reset();
        content_type_.assign("application/json");
        body_.clear();
        return body_;
    }

    /// A body of JSON already serialized, e.g. a constant such as `{"status":"ok"}`.
    void json_text(std::string_view serialized) {
        error_.reset();
        content_type_.assign("application/json");
        body_.assign(serialized);
    }

    /// A body serialized from `v`, written straight into the reused body buffer.
    void json(boost::json::value const& v) {
        error_.reset();
        content_type_.assign("application/json");
        body_.clear();
        serializer_.reset(&v);
        // Serializing into the buffer in place: no intermediate string.
        if (body_.capacity() < 256)
            body_.reserve(256);
        std::size_t used = 0;
        while (!serializer_.done()) {
            if (used == body_.size())
                body_.resize(body_.size() < body_.capacity() ? body_.capacity()
                                                             : 2 * body_.capacity());
            used += serializer_.read(body_.data() + used, body_.size() - used).size();
        }
        body_.resize(used);
    }

    /// A body serialized from anything `boost::json::value_from` accepts; the
    /// intermediate value is built on storage(), so it costs no malloc.
    template <class T>
    requires(!std::is_convertible_v<T const&, boost::json::value const&>) void json(T const& v) {
        json(boost::json::value_from(v, storage()));
    }

    /// Memory for JSON values that live no longer than this response: bump
    /// allocation from a buffer the connection keeps, given back in one go
    /// when the response is cleared for the next request. Build a response's
    /// document on it (`json::object page(res.storage())`,
    /// `json::value_from(x, res.storage())`) and it costs no call to malloc;
    /// a value kept past the response must not use it.
    boost::json::storage_ptr const& storage() {
        if (!json_memory_) {
            json_buffer_ = std::make_unique<unsigned char[]>(json_buffer_size_);
            json_memory_.emplace(json_buffer_.get(), json_buffer_size_,
                                 boost::json::storage_ptr(&json_overflow_));
            json_storage_ = boost::json::storage_ptr(&*json_memory_);
        }
        return json_storage_;
    }

    /// Answers with `e`: its status, and its envelope rendered when the
    /// response is sent.
    void error(api::api_error e) {
        status_ = e.status();
        body_.clear();
        content_type_.clear();
        error_.emplace(std::move(e));
    }
    void error(errc e) { error(api::api_error(e)); }
    void error(errc e, std::string message) { error(api::api_error(e, std::move(message))); }

    /// The error the response answers with, if any.
    api::api_error const* error() const noexcept { return error_ ? &*error_ : nullptr; }
    api::api_error* error() noexcept { return error_ ? &*error_ : nullptr; }

    /// Closes the connection after this response.
    void close_connection() noexcept { close_ = true; }
    bool closes_connection() const noexcept { return close_; }

    /// Empties the response for the next request, keeping its buffers.
    void clear() noexcept {
        if (json_memory_)
            reset_json_memory();
        status_ = 200;
        fields_.clear();
        content_type_.clear();
        body_.clear();
        error_.reset();
        close_ = false;
    }

    /// Gives back buffers that grew past `keep` bytes.
    void shrink(std::size_t keep) {
        for (auto* s : {&fields_, &body_})
            if (s->capacity() > keep)
                std::string().swap(*s);
        if (json_memory_ && keep < json_buffer_size_) {
            json_storage_ = {};
            json_memory_.reset();
            json_buffer_.reset();
            json_buffer_size_ = min_json_buffer;
        }
    }

private:
    friend struct detail::response_access;

    static void check_field(std::string_view name, std::string_view value) {
        if (!detail::is_token(name) || !detail::is_field_value(value))
            throw std::invalid_argument("apikit::http::response: invalid header field");
        if (detail::is_framing_field(name))
            throw std::invalid_argument("apikit::http::response: framing fields are the server's");
    }

    // Appended piece by piece: resize() would first zero the bytes that
    // the pieces then overwrite, which costs more than the appends' checks.
    void append_field(std::string_view name, std::string_view value) {
        using namespace std::string_view_literals;
        fields_.append(name).append(": "sv).append(value).append("\r\n"sv);
    }

    unsigned status_ = 200;
    std::string fields_;
    std::string content_type_;
    std::string body_;
    std::optional<api::api_error> error_;
    bool close_ = false;
    boost::json::serializer serializer_;
    // storage(): a monotonic resource over a buffer created on first use.
    // What does not fit comes from the heap through json_overflow_, which
    // counts it; the buffer then grows to hold it next time (up to a cap), so
    // a connection serving pages of one size stops calling malloc.
    static constexpr std::size_t min_json_buffer = 8 * 1024;
    static constexpr std::size_t max_json_buffer = 256 * 1024;

    class counting_resource final : public boost::json::memory_resource {
    public:
        std::size_t bytes = 0;

    private:
        void* do_allocate(std::size_t n, std::size_t align) override {
            bytes += n;
            return ::operator new(n, std::align_val_t(align));
        }
        void do_deallocate(void* p, std::size_t, std::size_t align) override {
            ::operator delete(p, std::align_val_t(align));
        }
        bool do_is_equal(boost::json::memory_resource const& o) const noexcept override {
            return this == &o;
        }
    };

    // A new resource over the buffer, rather than release(), which in Boost
    // 1.81 keeps doubling the block it next asks the heap for.
    void reset_json_memory() noexcept {
        json_memory_.reset();
        if (json_overflow_.bytes != 0 && json_buffer_size_ < max_json_buffer) {
            auto const want = std::min(max_json_buffer, json_buffer_size_ + json_overflow_.bytes);
            // Out of memory: keep the buffer there is.
            if (auto* p = new (std::nothrow) unsigned char[want]) {
                json_buffer_.reset(p);
                json_buffer_size_ = want;
            }
        }
        json_overflow_.bytes = 0;
        json_memory_.emplace(json_buffer_.get(), json_buffer_size_,
                             boost::json::storage_ptr(&json_overflow_));
    }

    counting_resource json_overflow_;
    std::size_t json_buffer_size_ = min_json_buffer;
    std::unique_ptr<unsigned char[]> json_buffer_;
    std::optional<boost::json::monotonic_resource> json_memory_;
    boost::json::storage_ptr json_storage_;
};

namespace detail {

/// For the library's own middleware, which sets a field it has checked
/// itself on every response (the request id, the traceparent):
/// `response::set` without the checks. `name` must be a token, neither a
/// framing field nor Content-Type, and `value` a field value.
struct response_access {
    static void set_checked(response& res, std::string_view name, std::string_view value) {
        res.erase(name);
        res.append_field(name, value);
    }
};

} // namespace detail

} // namespace apikit::http

#endif
