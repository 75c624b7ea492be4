#pragma once

#include <string_view>

namespace jq::cli {

// Set glibc's allocator up for a long-running process with many threads
// (jq-worker), where what it keeps aside per thread, not the jobs, is most
// of the memory:
// - one arena, instead of one per thread that allocates (mallopt);
// - a cache of freed blocks per thread (the tcache: up to 7 blocks of each
//   size) for blocks of up to 256 bytes only, instead of up to 1,032.
//   At -c 16, 20,000 inserts: the whole cache peaked at 10.5 MiB; the
//   small blocks' cache at 9.7-9.8 MiB, against 9.5-9.6 with no cache, and
//   took 7-10% less of the worker's CPU per job than no cache (one arena's
//   lock is contended by 16 slots).
// glibc reads the second only from the environment, when the process
// starts (GLIBC_TUNABLES). When it is not set there, this starts the
// program again in place, once (execv of /proc/self/exe: same process id,
// arguments and environment, plus the setting and JQ_ALLOCATOR_TUNED=1),
// under the name it was started with still (for pkill, ps and top, not
// "exe");
// when that fails, the program runs on as it is. It does not when
// GLIBC_TUNABLES names a tcache setting already (the user's choice), in secure
// mode (setuid, file capabilities), or when /proc/self/exe is not a file
// named `name` (started through ld.so or valgrind). Call first thing in
// main().
void tune_allocator(char** argv, std::string_view name) noexcept;

} // namespace jq::cli
