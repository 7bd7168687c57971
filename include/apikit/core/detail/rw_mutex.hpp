#ifndef APIKIT_CORE_DETAIL_RW_MUTEX_HPP
#define APIKIT_CORE_DETAIL_RW_MUTEX_HPP

// The shard lock of a sharded_table read under shared locks (the rate
// limiter's memory_store): a reader-writer lock that prefers writers.
// Decisions on keys already present take it shared, all the time, on every
// thread; inserting a new key takes it exclusive, briefly. With glibc's
// default (readers first) a stream of decisions on a hot key could keep a new
// key's insertion waiting indefinitely; preferring the writer bounds that
// wait by one reader section. Elsewhere std::shared_mutex, whose policy is
// the platform's.

#include <mutex>
#include <shared_mutex>
#include <system_error>

#if defined(__GLIBC__)
#include <pthread.h>
#endif

namespace apikit::detail {

#if defined(__GLIBC__)

class rw_mutex {
public:
    rw_mutex() {
        pthread_rwlockattr_t attr;
        pthread_rwlockattr_init(&attr);
        // "Nonrecursive": a thread never takes a shard lock it holds, which is
        // what lets glibc make readers wait behind a waiting writer.
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        int const rc = pthread_rwlock_init(&lock_, &attr);
        pthread_rwlockattr_destroy(&attr);
        if (rc != 0)
            throw std::system_error(rc, std::generic_category(), "pthread_rwlock_init");
    }
    ~rw_mutex() { pthread_rwlock_destroy(&lock_); }
    rw_mutex(rw_mutex const&) = delete;
    rw_mutex& operator=(rw_mutex const&) = delete;

    void lock() noexcept { pthread_rwlock_wrlock(&lock_); }
    void unlock() noexcept { pthread_rwlock_unlock(&lock_); }
    void lock_shared() noexcept { pthread_rwlock_rdlock(&lock_); }
    void unlock_shared() noexcept { pthread_rwlock_unlock(&lock_); }

private:
    pthread_rwlock_t lock_;
};

#else

using rw_mutex = std::shared_mutex;

#endif

} // namespace apikit::detail

#endif
