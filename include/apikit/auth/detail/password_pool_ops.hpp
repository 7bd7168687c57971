#ifndef APIKIT_AUTH_DETAIL_PASSWORD_POOL_OPS_HPP
#define APIKIT_AUTH_DETAIL_PASSWORD_POOL_OPS_HPP

// password_pool's queued operations: a KDF run (verify or hash) that owns
// its caller's handler, keeps the handler's executor busy (a work guard)
// until it completes, and completes there exactly once — with the KDF's
// answer (compute, then finish), or with an error and no KDF at all (fail:
// the pool is full or stopped). The password it holds is overwritten as
// soon as the KDF has run, and when it goes.

#include <apikit/auth/password.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/system/error_code.hpp>

#include <openssl/crypto.h>

#include <string>
#include <string_view>
#include <utility>

namespace apikit::auth::detail {

/// Overwrites every byte `s` holds, its spare capacity included (where a
/// short string's bytes stay after a move), and empties it.
inline void wipe_string(std::string& s) noexcept {
    s.resize(s.capacity()); // no allocation: the spare bytes become zeros
    OPENSSL_cleanse(s.data(), s.size());
    s.clear();
}

/// A password held for a while: moved in (the source wiped), wiped when
/// destroyed. It never moves again, so no stale copy is left behind.
class wiped_password {
public:
    explicit wiped_password(std::string&& s) : value_(std::move(s)) { wipe_string(s); }
    wiped_password(wiped_password const&) = delete;
    wiped_password& operator=(wiped_password const&) = delete;
    ~wiped_password() { wipe(); }

    void wipe() noexcept { wipe_string(value_); }

    [[nodiscard]] std::string_view view() const noexcept { return value_; }

private:
    std::string value_;
};

/// Wipes a caller's string when the scope ends (after async_initiate has
/// moved from it).
class wipe_on_exit {
public:
    explicit wipe_on_exit(std::string& s) noexcept : s_(s) {}
    wipe_on_exit(wipe_on_exit const&) = delete;
    wipe_on_exit& operator=(wipe_on_exit const&) = delete;
    ~wipe_on_exit() { wipe_string(s_); }

private:
    std::string& s_;
};

class password_job {
public:
    virtual ~password_job() = default;
    /// Runs the KDF (on a pool thread), keeps its answer, wipes the password.
    virtual void compute() = 0;
    /// Completes with the answer compute() kept.
    virtual void finish() = 0;
    /// Completes with `ec` and no answer, running nothing.
    virtual void fail(boost::system::error_code ec) = 0;
};

/// What both operations share: the handler, its work guard, completing.
template <class Handler, class Result>
class password_op : public password_job {
public:
    void finish() override { complete(ec_, std::move(result_)); }
    void fail(boost::system::error_code ec) override { complete(ec, Result{}); }

protected:
    explicit password_op(Handler&& handler)
        : handler_(std::move(handler))
        , work_(boost::asio::get_associated_executor(handler_, boost::asio::system_executor{})) {}

    // On the handler's associated executor (a strand, a connection's
    // executor; the system executor for a handler without one), never
    // inside the caller's own call.
    void complete(boost::system::error_code ec, Result result) {
        boost::asio::post(boost::asio::append(std::move(handler_), ec, std::move(result)));
        work_.reset();
    }

    void keep(boost::system::error_code ec, Result result) {
        ec_ = ec;
        result_ = std::move(result);
    }

private:
    Handler handler_;
    boost::asio::executor_work_guard<
        boost::asio::associated_executor_t<Handler, boost::asio::system_executor>>
        work_;
    boost::system::error_code ec_;
    Result result_{};
};

template <class Handler>
class password_verify_op final : public password_op<Handler, bool> {
public:
    password_verify_op(Handler&& handler, std::string&& password, std::string&& encoded)
        : password_op<Handler, bool>(std::move(handler))
        , password_(std::move(password))
        , encoded_(std::move(encoded)) {}

    void compute() override {
        this->keep({}, verify_password(password_.view(), encoded_));
        password_.wipe();
    }

private:
    wiped_password password_;
    std::string encoded_;
};

template <class Handler>
class password_hash_op final : public password_op<Handler, std::string> {
public:
    password_hash_op(Handler&& handler, std::string&& password, password_params const& params)
        : password_op<Handler, std::string>(std::move(handler))
        , password_(std::move(password))
        , params_(params) {}

    void compute() override {
        result<std::string> hashed = make_error_code(errc::internal_error);
        try {
            hashed = hash_password(password_.view(), params_);
        } catch (...) {
            // Out of memory, or the CSPRNG failed: errc::internal_error, and
            // the pool thread lives on.
        }
        password_.wipe();
        if (!hashed)
            return this->keep(hashed.error(), {});
        this->keep({}, std::move(*hashed));
    }

private:
    wiped_password password_;
    password_params params_;
};

} // namespace apikit::auth::detail

#endif
