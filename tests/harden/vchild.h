/* vchild.h — running the real versus binary from the tests (test_faults,
 * test_secrets, test_engine_faults, test_integration_run, the soak runs): a
 * private environment (HOME and every XDG directory in a temporary tree, every
 * provider pointed at a loopback fake, recognisable fake keys), a hard
 * deadline after which the child is killed, both output streams captured, and
 * the child's peak memory from wait4().
 *
 * Nothing here asserts: callers decide what a failure means. Not for: the
 * fake provider itself (tests/fake/fakeprov.h). */
#ifndef VERSUS_TESTS_VCHILD_H
#define VERSUS_TESTS_VCHILD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"

/* Fake keys: each holds "SECRETKEY" so one scan finds them all. */
#define VCHILD_KEY_OPENAI "sk-test-SECRETKEY-openai-0123456789abcdef"
#define VCHILD_KEY_ANTHROPIC "sk-ant-test-SECRETKEY-anthropic-0123456789"
#define VCHILD_KEY_GEMINI "AIza-test-SECRETKEY-gemini-0123456789abcdef"
#define VCHILD_KEY_MARK "SECRETKEY"

typedef struct VChild {
    pid_t pid;
    int out, err;  /* read ends of the child's stdout / stderr */
    double t0;     /* clock_now_ms() at start */
} VChild;

typedef struct VResult {
    int exit_code;    /* exit status, or -1 when killed by a signal */
    int term_signal;  /* the signal that ended it, or 0 */
    bool timed_out;   /* the deadline passed and it was killed */
    Buf out, err;     /* everything it wrote */
    double elapsed_ms;
    long max_rss_kb;  /* wait4's ru_maxrss: an upper bound only, since a spawned child
                       * also counts the peak of the process it was spawned from
                       * (tests/soak/maxrss.c measures a run's own peak) */
    double cpu_s;     /* the child's user + system CPU time */
    cJSON *json;      /* stdout parsed when asked (NULL otherwise or when invalid) */
} VResult;

/* The standard private environment under home (an existing directory):
 * PATH, HOME, XDG_{CONFIG,DATA,CACHE,STATE}_HOME = home/{config,data,cache,state},
 * LANG, TERM=dumb, the providers' base URLs at fake_url (may be NULL), the
 * VCHILD_KEY_* keys, and this process's ASAN/UBSAN/LSAN_OPTIONS.
 * NULL-terminated; free with vchild_env_free. */
char **vchild_env_new(const char *home, const char *fake_url);
/* Sets (adds or replaces) NAME=value; value NULL removes NAME. */
void vchild_env_set(char ***env, const char *name, const char *value);
void vchild_env_free(char **env);
/* Appends options to the child's ASAN_OPTIONS (harmless for a binary built
 * without AddressSanitizer), e.g. "allocator_may_return_null=1" so that a
 * huge allocation fails as it does in a normal build instead of aborting. */
void vchild_env_add_asan(char ***env, const char *options);

/* $VERSUS_BUILDDIR/versus into out; false when it is not there. */
bool vchild_binary(char *out, size_t outlen);

/* Starts bin with args (NULL-terminated, without argv[0]) and env, writing
 * stdin_text (may be NULL) to its standard input. 0, or -1 with errno. */
int vchild_start(const char *bin, const char *const *args, char *const *env, const char *stdin_text, VChild *c);
/* Reads both streams until the child exits or deadline_ms after its start
 * passes (then it is killed with SIGKILL); reaps it; parses stdout as JSON
 * when json is true. */
void vchild_finish(VChild *c, int deadline_ms, bool json, VResult *r);
/* Called every tick_ms while the child runs (before it is reaped, so its
 * /proc entry is there to sample) with what it has written so far (sofar's
 * out and err); now_ms is clock_now_ms(). */
typedef void (*VChildTickFn)(void *user, pid_t pid, const VResult *sofar, double now_ms);
/* vchild_finish, calling tick (when not NULL) every tick_ms (> 0) meanwhile. */
void vchild_finish_watched(VChild *c, int deadline_ms, bool json, int tick_ms, VChildTickFn tick, void *user,
                           VResult *r);
/* vchild_start + vchild_finish. -1 when it could not start. */
int vchild_run(const char *bin, const char *const *args, char *const *env, const char *stdin_text, int deadline_ms,
               bool json, VResult *r);
/* vchild_run with stdin_len bytes of stdin (NUL bytes included). */
int vchild_run_bytes(const char *bin, const char *const *args, char *const *env, const char *stdin_data,
                     size_t stdin_len, int deadline_ms, bool json, VResult *r);
void vchild_result_free(VResult *r);

/* vchild_run with the child's stdout and stderr on one pseudo-terminal (so
 * isatty is true for both; stdin is /dev/null): everything it wrote lands
 * in r->out (with the terminal's own CR before each LF), r->err stays
 * empty. -1 when no pseudo-terminal could be made. */
int vchild_run_tty(const char *bin, const char *const *args, char *const *env, int deadline_ms, VResult *r);

/* Removes a directory tree (no-op on NULL or ""). */
void vchild_rm_tree(const char *dir);

#endif
