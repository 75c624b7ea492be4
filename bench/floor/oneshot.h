/* The one-shot floor's round trips (oneshot.c), for its two programs. */
#ifndef JQ_BENCH_ONESHOT_H
#define JQ_BENCH_ONESHOT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Put one job (SQL with one parameter, bound to 1) for DB on QUEUE and wait
 * for its reply; print the reply's event. Returns 0 when the job completed,
 * 1 when it failed; exits 1 on any error or no reply within 30 s. */
int oneshot(const char* host,
            int port,
            const char* queue,
            const char* db,
            const char* sql);

#ifdef __cplusplus
}
#endif

#endif
