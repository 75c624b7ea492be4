/* The floor of a one-shot call: the least a fresh process can do to put one
 * job on a Bull queue and wait for that job's reply, with nothing of
 * jq-submit's own (no C++ runtime, no option parser, no JSON library, no
 * script): connect, PING and wait for its PONG, then one write of MULTI,
 * the job's hash and its LPUSH, SUBSCRIBE completed and failed, EXEC; read
 * events until one names the job; print it. The same connection, writes and
 * round trips as `jq-submit --db DB --sql SQL` for a lone job.
 *
 *   oneshot HOST PORT QUEUE DB SQL
 *
 * Built and timed by bench/floor/oneshot against /bin/true and jq-submit.
 */
#include <hiredis/hiredis.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void fail(const char* what, redisContext* redis)
{
  fprintf(stderr, "oneshot: %s: %s\n", what, redis ? redis->errstr : "");
  exit(1);
}

static redisReply* take_reply(redisContext* redis)
{
  void* reply = NULL;
  if (redisGetReply(redis, &reply) != REDIS_OK) {
    fail("read", redis);
  }
  return reply;
}

int main(int argc, char** argv)
{
  if (argc != 6) {
    fprintf(stderr, "usage: oneshot HOST PORT QUEUE DB SQL\n");
    return 2;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  const long long ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  char id[64], base[256], key[320], wait[320], completed[320], failed[320];
  snprintf(id, sizeof id, "floor-%d-%lld", (int)getpid(), ms);
  snprintf(base, sizeof base, "bull:%s:", argv[3]);
  snprintf(key, sizeof key, "%s%s", base, id);
  snprintf(wait, sizeof wait, "%swait", base);
  snprintf(completed, sizeof completed, "%scompleted", base);
  snprintf(failed, sizeof failed, "%sfailed", base);
  /* The caller gives plain names and SQL: no escaping needed. */
  char data[4096], opts[512], stamp[32];
  snprintf(data,
           sizeof data,
           "{\"db\":\"%s\",\"params\":[1],\"sql\":\"%s\"}",
           argv[4],
           argv[5]);
  snprintf(opts,
           sizeof opts,
           "{\"attempts\":1,\"jobId\":\"%s\",\"removeOnComplete\":{\"age\":"
           "3600},\"removeOnFail\":{\"age\":3600},\"timestamp\":%lld}",
           id,
           ms);
  snprintf(stamp, sizeof stamp, "%lld", ms);

  redisContext* redis = redisConnect(argv[1], atoi(argv[2]));
  if (redis == NULL || redis->err) {
    fail("connect", redis);
  }
  freeReplyObject(redisCommand(redis, "PING"));
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
  for (int i = 0; i < 6; ++i) {
    freeReplyObject(take_reply(redis));
  }
  for (;;) {
    redisReply* event = take_reply(redis);
    if (event->type == REDIS_REPLY_ARRAY && event->elements == 3
        && event->element[2]->type == REDIS_REPLY_STRING
        && strstr(event->element[2]->str, id) != NULL) {
      puts(event->element[2]->str);
      freeReplyObject(event);
      break;
    }
    freeReplyObject(event);
  }
  redisFree(redis);
  return 0;
}
