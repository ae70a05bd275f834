// The project's mutex: std::mutex with abseil's lock annotations, so that clang's -Wthread-safety
// checks every ABSL_GUARDED_BY and ThreadSanitizer sees every lock. (absl::Mutex synchronises in
// abseil's own code; Debian's abseil is built without ThreadSanitizer's hooks, so a sanitized
// build would report races on data it guards.)
#ifndef MIXLAW_COMMON_MUTEX_H_
#define MIXLAW_COMMON_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace mixlaw {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }

  // Releases the lock until `done()` holds (checked under the lock after each NotifyAll) or
  // `timeout` passes, and holds it again on return. Returns done(). REQUIRES: the lock is held.
  template <typename Predicate>
  bool AwaitWithTimeout(Predicate done, std::chrono::milliseconds timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mutex_, std::adopt_lock);
    const bool held = changed_.wait_for(lock, timeout, done);
    lock.release();  // still locked: the caller's MutexLock unlocks it
    return held;
  }

  // Wakes every AwaitWithTimeout to check its predicate.
  void NotifyAll() { changed_.notify_all(); }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

// Holds `mutex` for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mutex_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mutex_;
};

}  // namespace mixlaw

#endif  // MIXLAW_COMMON_MUTEX_H_
