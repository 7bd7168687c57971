#ifndef APIKIT_RATELIMIT_QUOTA_HPP
#define APIKIT_RATELIMIT_QUOTA_HPP

// Which limits apply to a key: the `ratelimit::quota` concept, and
// quota_table, its default model — a default policy, named plans (tiers such
// as "free" and "pro"), and keys assigned to a plan, all changeable while
// requests are being decided.
//
// Reads are wait-free: the table is an immutable snapshot behind one atomic
// pointer, and a decision loads the pointer and looks up the key (no lookup
// at all while no key is assigned). A change copies the snapshot, edits the
// copy and publishes it. Old snapshots are kept until the table is destroyed,
// so a policy reference handed out stays valid for as long as the table
// lives, with no reference counting on the hot path; the cost is the memory
// of each change (a policy is ~100 bytes), which suits limits that change a
// few times a day, not per request. Plan assignments are for the keys that
// differ from the default; a plan known from the request (a token's claim)
// is better passed to the limiter directly with `plan()`.

#include <apikit/ratelimit/limit.hpp>

#include <atomic>
#include <concepts>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace apikit::ratelimit {

/// A source of the policy for a key. `q.policy_for(key)` returns a policy
/// that stays valid while `q` lives; a quota is built from its default policy.
template <class Q>
concept quota = std::constructible_from<Q, policy> && requires(Q const& q, std::string_view key) {
    { q.policy_for(key) } -> std::same_as<policy const&>;
};

namespace detail {

struct string_hash {
    using is_transparent = void;
    [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

} // namespace detail

class quota_table {
public:
    explicit quota_table(policy default_policy) {
        auto s = std::make_unique<snapshot>();
        s->fallback = keep(std::move(default_policy));
        publish(std::move(s));
    }

    quota_table(quota_table const&) = delete;
    quota_table& operator=(quota_table const&) = delete;

    /// The policy of `key`: its plan's if it is assigned one, else the default.
    [[nodiscard]] policy const& policy_for(std::string_view key) const noexcept {
        auto const* s = current_.load(std::memory_order_acquire);
        if (!s->assigned.empty()) [[unlikely]] {
            auto const it = s->assigned.find(key);
            if (it != s->assigned.end())
                return *it->second;
        }
        return *s->fallback;
    }

    /// The policy of plan `name`, or nullptr if there is no such plan.
    [[nodiscard]] policy const* plan(std::string_view name) const noexcept {
        auto const* s = current_.load(std::memory_order_acquire);
        auto const it = s->plans.find(name);
        return it == s->plans.end() ? nullptr : it->second;
    }

    [[nodiscard]] policy const& default_policy() const noexcept {
        return *current_.load(std::memory_order_acquire)->fallback;
    }

    /// Replaces the default policy.
    void set_default(policy p) {
        change([&](snapshot& s) { s.fallback = keep(std::move(p)); });
    }

    /// Defines plan `name` or replaces its limits; keys assigned to it follow.
    void set_plan(std::string_view name, policy p) {
        change([&](snapshot& s) {
            auto const* kept = keep(std::move(p));
            s.plans.insert_or_assign(std::string(name), kept);
            for (auto& [key, plan] : s.assigned_plan)
                if (plan == name)
                    s.assigned.insert_or_assign(key, kept);
        });
    }

    /// Assigns `key` to plan `name`. False if there is no such plan.
    bool assign(std::string_view key, std::string_view name) {
        bool found = false;
        change([&](snapshot& s) {
            auto const it = s.plans.find(name);
            if (it == s.plans.end())
                return;
            found = true;
            s.assigned.insert_or_assign(std::string(key), it->second);
            s.assigned_plan.insert_or_assign(std::string(key), std::string(name));
        });
        return found;
    }

    /// Returns `key` to the default policy.
    void unassign(std::string_view key) {
        change([&](snapshot& s) {
            if (auto it = s.assigned.find(key); it != s.assigned.end())
                s.assigned.erase(it);
            if (auto it = s.assigned_plan.find(key); it != s.assigned_plan.end())
                s.assigned_plan.erase(it);
        });
    }

private:
    template <class V>
    using string_map = std::unordered_map<std::string, V, detail::string_hash, std::equal_to<>>;

    struct snapshot {
        policy const* fallback = nullptr;
        string_map<policy const*> plans;
        string_map<policy const*> assigned;    // key → its plan's policy
        string_map<std::string> assigned_plan; // key → its plan's name
    };

    [[nodiscard]] policy const* keep(policy p) {
        policies_.push_back(std::make_unique<policy const>(std::move(p)));
        return policies_.back().get();
    }

    template <class F>
    void change(F&& edit) {
        std::lock_guard lock(write_);
        auto next = std::make_unique<snapshot>(*current_.load(std::memory_order_relaxed));
        edit(*next);
        publish(std::move(next));
    }

    void publish(std::unique_ptr<snapshot> s) {
        current_.store(s.get(), std::memory_order_release);
        snapshots_.push_back(std::move(s));
    }

    std::atomic<snapshot const*> current_{nullptr};
    std::mutex write_;
    // Everything ever published, for the lifetime of the table (see above).
    std::vector<std::unique_ptr<snapshot const>> snapshots_;
    std::vector<std::unique_ptr<policy const>> policies_;
};

static_assert(quota<quota_table>,
              "apikit::ratelimit::quota_table must model apikit::ratelimit::quota");

} // namespace apikit::ratelimit

#endif
