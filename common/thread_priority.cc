#include "common/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mixlaw {

void RunInBackground() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  // On Linux a thread's niceness is its own: PRIO_PROCESS with a thread id sets just that thread.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kBackgroundNice);
}

}  // namespace mixlaw
