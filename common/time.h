// Clocks, in the units their names say.
#ifndef MIXLAW_COMMON_TIME_H_
#define MIXLAW_COMMON_TIME_H_

#include <cstdint>

namespace mixlaw {

// Milliseconds since the Unix epoch (wall clock: stored in the database).
int64_t UnixMillis();

// Milliseconds from an arbitrary origin that never goes backwards (for intervals).
int64_t MonotonicMillis();

}  // namespace mixlaw

#endif  // MIXLAW_COMMON_TIME_H_
