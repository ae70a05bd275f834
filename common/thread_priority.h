// Work that may wait, such as the dashboard's reads and fits, runs at a lower scheduling priority
// than the work a worker waits on (leases, heartbeats), so that on a busy machine it takes the
// cores only when they would be idle.
#ifndef MIXLAW_COMMON_THREAD_PRIORITY_H_
#define MIXLAW_COMMON_THREAD_PRIORITY_H_

namespace mixlaw {

// The niceness background threads run at (Linux: 0 normal, 19 lowest).
inline constexpr int kBackgroundNice = 10;

// Lowers the calling thread to kBackgroundNice (threads it starts afterwards inherit it). Once
// a thread: later calls change nothing. Best effort: where the system refuses, the thread keeps
// its priority.
void RunInBackground();

}  // namespace mixlaw

#endif  // MIXLAW_COMMON_THREAD_PRIORITY_H_
