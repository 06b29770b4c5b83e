/* lp__fsync_paths: a commit's fsync barrier, issued all at once.
 *
 * Several fsyncs in flight together let the file system commit them in one journal transaction (measured
 * on ext4 here: about 15% more durable single-row commits per second than one fsync after another). The
 * fsyncs run on a few long-lived worker threads, created on demand up to MAX_WORKERS and kept for the
 * life of the process, because starting five threads per commit cost about a sixth of a commit's CPU
 * time. The calling thread works too: it takes tasks from the queue like a worker, so a barrier never
 * waits for a thread that could not be started. After fork() the child starts with no workers (they do
 * not exist there) and an empty queue. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "io/io.h"

#define MAX_WORKERS 7 /* with the caller, eight fsyncs in flight */
#define MAX_TASKS 256 /* queued at most; a larger barrier queues in rounds */

typedef struct barrier {
  size_t remaining; /* tasks of this barrier not finished (under mu) */
} barrier;

typedef struct task {
  const char *path;
  int *err_out; /* 0 or the errno of open/fsync */
  barrier *b;
} task;

static struct {
  pthread_mutex_t mu;
  pthread_cond_t work; /* a task was queued */
  pthread_cond_t done; /* a barrier's last task finished */
  task q[MAX_TASKS];
  size_t head, len;
  int workers, idle;
} P = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {{0}}, 0, 0, 0, 0};

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void after_fork_child(void) {
  pthread_mutex_init(&P.mu, NULL);
  pthread_cond_init(&P.work, NULL);
  pthread_cond_init(&P.done, NULL);
  P.head = P.len = 0;
  P.workers = P.idle = 0;
}

static void register_atfork(void) { pthread_atfork(NULL, NULL, after_fork_child); }

static int sync_one(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = fsync(fd) != 0 ? errno : 0;
  close(fd);
  return e;
}

/* Take the next task (caller holds mu; the queue is not empty). */
static task pop(void) {
  task t = P.q[P.head];
  P.head = (P.head + 1) % MAX_TASKS;
  P.len--;
  return t;
}

/* Run task t outside the lock, then account for it (returns with mu held, as it was called). */
static void run(task t) {
  pthread_mutex_unlock(&P.mu);
  int e = sync_one(t.path);
  pthread_mutex_lock(&P.mu);
  *t.err_out = e;
  if (--t.b->remaining == 0) pthread_cond_broadcast(&P.done);
}

static void *worker_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&P.mu);
  for (;;) { /* counted idle (by grow, at its start) except while running a task */
    while (P.len == 0) pthread_cond_wait(&P.work, &P.mu);
    P.idle--;
    run(pop());
    P.idle++;
  }
  return NULL;
}

/* Start workers until there is an idle one per queued task, up to MAX_WORKERS (caller holds mu). A
 * worker that cannot start is simply not there: the caller runs the tasks itself. */
static void grow(void) {
  while (P.workers < MAX_WORKERS && (size_t)P.idle < P.len) {
    pthread_attr_t a;
    pthread_t th;
    if (pthread_attr_init(&a) != 0) return;
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 64 * 1024);
    int rc = pthread_create(&th, &a, worker_main, NULL);
    pthread_attr_destroy(&a);
    if (rc != 0) return;
    P.workers++;
    P.idle++; /* idle from now: it is on its way to the queue */
  }
}

lp_status lp__fsync_paths(const char *const *paths, size_t n, lp_error *err) {
  if (n == 0) return LP_OK;
  pthread_once(&atfork_once, register_atfork);
  int *errnos = calloc(n, sizeof *errnos);
  if (errnos == NULL) return lp_error_set(err, LP_ENOMEM, "fsync: out of memory");
  barrier b = {n};
  size_t next = 0;
  pthread_mutex_lock(&P.mu);
  while (b.remaining > 0) {
    /* Queue what fits, wake workers, then work alongside them until this barrier is done. */
    for (; next < n && P.len < MAX_TASKS; next++) {
      P.q[(P.head + P.len) % MAX_TASKS] = (task){paths[next], &errnos[next], &b};
      P.len++;
    }
    grow();
    pthread_cond_broadcast(&P.work);
    if (P.len > 0) run(pop()); /* possibly another barrier's task: all are alike */
    else if (next == n) pthread_cond_wait(&P.done, &P.mu);
  }
  pthread_mutex_unlock(&P.mu);
  lp_status rc = LP_OK;
  for (size_t i = 0; i < n && rc == LP_OK; i++)
    if (errnos[i]) rc = lp_error_set_errno(err, LP_EIO, errnos[i], "%s: fsync failed", paths[i]);
  free(errnos);
  return rc;
}
