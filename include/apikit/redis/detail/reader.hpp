#ifndef APIKIT_REDIS_DETAIL_READER_HPP
#define APIKIT_REDIS_DETAIL_READER_HPP

// hiredis's RESP reader, building apikit's redis::reply directly. hiredis
// parses (incrementally, across reads that split a reply anywhere) and calls
// back for each value; the callbacks write the value into its parent array's
// slot, or for the top-level value into one slot the reader owns, so a
// scalar reply costs no allocation beyond its text.
//
// The callbacks run inside C code: they never throw (an allocation failure
// returns nullptr, which hiredis reports as an error).

#include <apikit/redis/reply.hpp>

#include <hiredis/hiredis.h>

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace apikit::redis::detail {

class reader {
public:
    reader() : impl_(::redisReaderCreateWithFunctions(&functions())) {
        if (!impl_)
            throw std::bad_alloc();
        impl_->privdata = this;
    }

    reader(reader const&) = delete;
    reader& operator=(reader const&) = delete;

    /// Hands `n` bytes read from the socket to the parser; false when the
    /// reader is already in error or out of memory.
    [[nodiscard]] bool feed(char const* data, std::size_t n) noexcept {
        return ::redisReaderFeed(impl_.get(), data, n) == REDIS_OK;
    }

    enum class status { reply, need_more, error };

    /// The next complete reply, moved into `out`; `need_more` when the bytes
    /// fed so far end inside a reply; `error` when they are not RESP (the
    /// reader is then unusable and the connection must be dropped).
    [[nodiscard]] status next(reply& out) noexcept {
        void* got = nullptr;
        if (::redisReaderGetReply(impl_.get(), &got) != REDIS_OK)
            return status::error;
        if (got == nullptr)
            return status::need_more;
        // `got` is always &root_: children live inside it.
        out = std::move(root_);
        reply_builder::reset(root_);
        return status::reply;
    }

    /// Why the last call failed, from hiredis (for diagnostics only).
    [[nodiscard]] char const* error_text() const noexcept { return impl_->errstr; }

private:
    struct free_reader {
        void operator()(redisReader* r) const noexcept { ::redisReaderFree(r); }
    };

    // The object a value is written to: the next slot of the parent array,
    // appended now, or the root for a top-level value. hiredis fills an
    // array's elements in order, and only the array being filled grows: the
    // objects it handed out before (the parents up the stack) do not move.
    [[nodiscard]] static reply* slot_for(redisReadTask const* task) noexcept {
        if (task->parent == nullptr)
            return &static_cast<reader*>(task->privdata)->root_;
        auto* parent = static_cast<reply*>(task->parent->obj);
        auto& elems = reply_builder::elements(*parent);
        auto const i = static_cast<std::size_t>(task->idx);
        if (i < elems.size())
            return &elems[i];
        if (i != elems.size())
            return nullptr;
        try {
            return &elems.emplace_back();
        } catch (...) {
            return nullptr;
        }
    }

    static void* create_string(redisReadTask const* task, char* data, std::size_t n) noexcept {
        reply* r = slot_for(task);
        if (r == nullptr)
            return nullptr;
        reply_type t = reply_type::string;
        if (task->type == REDIS_REPLY_STATUS)
            t = reply_type::status;
        else if (task->type == REDIS_REPLY_ERROR)
            t = reply_type::error;
        try {
            reply_builder::set_text(*r, t, data, n);
        } catch (...) {
            return nullptr;
        }
        return r;
    }

    // hiredis 0.14 passes the element count as int, 1.x as size_t.
    template <class Count>
    static void* create_array(redisReadTask const* task, Count n) noexcept {
        if constexpr (std::is_signed_v<Count>) {
            if (n < 0)
                return nullptr;
        }
        reply* r = slot_for(task);
        if (r == nullptr)
            return nullptr;
        try {
            reply_builder::set_array(*r, static_cast<std::size_t>(n));
        } catch (...) {
            return nullptr;
        }
        return r;
    }

    static void* create_integer(redisReadTask const* task, long long v) noexcept {
        reply* r = slot_for(task);
        if (r != nullptr)
            reply_builder::set_integer(*r, v);
        return r;
    }

    static void* create_nil(redisReadTask const* task) noexcept {
        reply* r = slot_for(task);
        if (r != nullptr)
            reply_builder::reset(*r);
        return r;
    }

    // hiredis frees only the top-level object (on a parse error, or when the
    // reader is freed mid-reply); it is the root slot, owned by the reader.
    static void free_object(void*) noexcept {}

    static redisReplyObjectFunctions& functions() noexcept {
        static redisReplyObjectFunctions fns = [] {
            redisReplyObjectFunctions f{};
            f.createString = &create_string;
            f.createArray = &create_array;
            f.createInteger = &create_integer;
            f.createNil = &create_nil;
            f.freeObject = &free_object;
            return f;
        }();
        return fns;
    }

    std::unique_ptr<redisReader, free_reader> impl_;
    reply root_;
};

} // namespace apikit::redis::detail

#endif
