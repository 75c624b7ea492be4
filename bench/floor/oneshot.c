/* The floor of a one-shot call: the least a fresh process can do to put one
 * job on a Bull queue and wait for that job's reply, with nothing of
 * jq-submit's own (no JSON library, no script, no option parser or C++
 * runtime in the C build). Its round trips are those of `jq-submit --db DB
 * --sql SQL --param 1` for a lone job, on one connection: connect, PING and
 * wait for its PONG, then one write of MULTI, the job's hash and its LPUSH
 * (plain commands where jq-submit runs its add script), SUBSCRIBE completed
 * and failed, EXEC; read events until one names the job; print it.
 *
 * Two programs run it (bench/CMakeLists.txt): jq-bench-oneshot, in C
 * (oneshot_main.c), and jq-bench-oneshot-cpp, which takes jq-submit's
 * command line through CLI11 and is linked as jq-submit is
 * (oneshot_cli.cpp). make bench (bench/node/bench.js) times both next to
 * jq-submit and /bin/true.
 */
#define _POSIX_C_SOURCE 200809L

#include "oneshot.h"

#include <hiredis/hiredis.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void fail(const char* what, const redisContext* redis)
{
  fprintf(stderr,
          "one-shot floor: %s%s%s\n",
          what,
          redis ? ": " : "",
          redis ? redis->errstr : "");
  exit(1);
}

static redisReply* take_reply(redisContext* redis)
{
  void* reply = NULL;
  if (redisGetReply(redis, &reply) != REDIS_OK) {
    fail("no reply from Redis", redis);
  }
  return reply;
}

/* snprintf into a fixed buffer, or exit: a cut value would be a bad job. */
__attribute__((format(printf, 3, 4))) static void
print_to(char* buffer, size_t size, const char* format, ...)
{
  va_list args;
  va_start(args, format);
  const int length = vsnprintf(buffer, size, format, args);
  va_end(args);
  if (length < 0 || (size_t)length >= size) {
    fail("an argument is too long", NULL);
  }
}

int oneshot(const char* host,
            int port,
            const char* queue,
            const char* db,
            const char* sql)
{
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  const long long ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  char id[64], key[512], wait[512], completed[512], failed[512];
  print_to(id, sizeof id, "floor-%d-%lld", (int)getpid(), ms);
  print_to(key, sizeof key, "bull:%s:%s", queue, id);
  print_to(wait, sizeof wait, "bull:%s:wait", queue);
  print_to(completed, sizeof completed, "bull:%s:completed", queue);
  print_to(failed, sizeof failed, "bull:%s:failed", queue);
  /* The caller gives plain names and SQL: no escaping needed. */
  char data[4096], opts[512], stamp[32];
  print_to(data,
           sizeof data,
           "{\"db\":\"%s\",\"params\":[1],\"sql\":\"%s\"}",
           db,
           sql);
  print_to(opts,
           sizeof opts,
           "{\"attempts\":1,\"jobId\":\"%s\",\"removeOnComplete\":{\"age\":"
           "3600},\"removeOnFail\":{\"age\":3600},\"timestamp\":%lld}",
           id,
           ms);
  print_to(stamp, sizeof stamp, "%lld", ms);

  const struct timeval limit = {30, 0};
  redisContext* redis = redisConnectWithTimeout(host, port, limit);
  if (redis == NULL || redis->err) {
    fail("cannot connect", redis);
  }
  redisSetTimeout(redis, limit);
  redisReply* pong = redisCommand(redis, "PING");
  if (pong == NULL || pong->type != REDIS_REPLY_STATUS
      || strcmp(pong->str, "PONG") != 0) {
    fail("PING was not answered PONG", redis);
  }
  freeReplyObject(pong);
  redisAppendCommand(redis, "MULTI");
  redisAppendCommand(redis,
                     "HSET %s name __default__ data %s opts %s timestamp %s "
                     "delay 0 priority 0",
                     key,
                     data,
                     opts,
                     stamp);
  redisAppendCommand(redis, "LPUSH %s %s", wait, id);
  redisAppendCommand(redis, "SUBSCRIBE %s", completed);
  redisAppendCommand(redis, "SUBSCRIBE %s", failed);
  redisAppendCommand(redis, "EXEC");
  /* MULTI's OK and four QUEUED, then EXEC's four results. */
  for (int i = 0; i < 5; ++i) {
    redisReply* queued = take_reply(redis);
    if (queued->type == REDIS_REPLY_ERROR) {
      fail(queued->str, NULL);
    }
    freeReplyObject(queued);
  }
  redisReply* results = take_reply(redis);
  if (results->type != REDIS_REPLY_ARRAY || results->elements != 4) {
    fail("EXEC did not run the transaction", NULL);
  }
  for (size_t i = 0; i < results->elements; ++i) {
    if (results->element[i]->type == REDIS_REPLY_ERROR) {
      fail(results->element[i]->str, NULL);
    }
  }
  freeReplyObject(results);
  for (;;) {
    redisReply* event = take_reply(redis);
    if (event->type == REDIS_REPLY_ARRAY && event->elements == 3
        && event->element[1]->type == REDIS_REPLY_STRING
        && event->element[2]->type == REDIS_REPLY_STRING
        && strstr(event->element[2]->str, id) != NULL) {
      const int is_completed = strcmp(event->element[1]->str, completed) == 0;
      puts(event->element[2]->str);
      freeReplyObject(event);
      redisFree(redis);
      return is_completed ? 0 : 1;
    }
    freeReplyObject(event);
  }
}
