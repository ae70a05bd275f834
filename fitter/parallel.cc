#include "fitter/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace mixlaw {

void ParallelFor(int n, int threads, const std::function<void(int)>& body) {
  std::atomic<int> next{0};
  auto work = [&] {
    for (int i = next++; i < n; i = next++) body(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min(threads, n); ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
}

}  // namespace mixlaw
