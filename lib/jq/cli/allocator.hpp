#pragma once

namespace jq::cli {

// Set glibc's allocator up for a long-running process with many threads
// (jq-worker), where what it keeps aside per thread, not the jobs, is most
// of the memory:
// - one arena, instead of one per thread that allocates (mallopt);
// - no cache of freed blocks per thread (the tcache: up to 7 blocks of each
//   size per thread; at -c 16, 20,000 inserts peaked at 10.2 MiB with it
//   and 9.3 without, for about 4% more of the worker's CPU).
// glibc reads the second only from the environment, when the process
// starts (GLIBC_TUNABLES). When it is not set there, this starts the
// program again in place, once (execv of /proc/self/exe: same process id,
// arguments and environment, plus the setting); when that fails, the
// program runs on as it is. A GLIBC_TUNABLES that names tcache_count
// already is left as the user set it. Call first thing in main().
void tune_allocator(char** argv) noexcept;

} // namespace jq::cli
