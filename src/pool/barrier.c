/* An asymmetric memory barrier. Every release stores IDLE and then reads n_waiters and is_closing; a
 * waiter increments n_waiters and then rescans the slots; close sets is_closing and then scans. One side
 * must see the other, which normally takes a full fence on both (a locked instruction on every release).
 * With Linux's membarrier(PRIVATE_EXPEDITED) the rare side (enqueueing, closing) pays a system call that
 * runs a barrier on every thread of the process, and the release needs only a compiler barrier. The same
 * pairing lets the thread that made a slot idle take it back with plain stores (announce in owner_busy,
 * then read the state) while another thread claiming it moves it to RESERVED, runs the barrier and then
 * reads owner_busy (pool_int.h, lp__slot_owner_take and lp__slot_claim_idle). Without
 * membarrier the release falls back to a seq_cst store; LP_POOL_NO_MEMBARRIER=1 in the environment forces
 * that (the tests use it to cover both modes). */
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pool/pool_int.h"

_Atomic bool lp__has_membarrier;

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static long membarrier(int cmd) {
  return syscall(__NR_membarrier, cmd, 0, 0);
}

static void probe(void) {
  const char *off = getenv("LP_POOL_NO_MEMBARRIER");
  if (off != NULL && off[0] == '1') return;
  long cmds = membarrier(MEMBARRIER_CMD_QUERY);
  bool is_ok = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
               membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
  atomic_store(&lp__has_membarrier, is_ok);
}

/* Decide the mode once, before the first pool exists. */
void lp__barrier_init(void) {
  pthread_once(&probe_once, probe);
}

/* The heavy side: after it returns, every release that stored IDLE before it is visible, and every release
 * that reads the gate after it sees what this thread wrote before it. If the call ever fails, releases
 * switch to seq_cst stores from then on. */
void lp__heavy_barrier(void) {
  if (!atomic_load_explicit(&lp__has_membarrier, memory_order_relaxed)) return; /* seq_cst both sides */
  if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) atomic_store(&lp__has_membarrier, false);
}

/* In a fork child (async-signal-safe): the registration belongs to the process; renew it. */
void lp__barrier_after_fork(void) {
  if (atomic_load_explicit(&lp__has_membarrier, memory_order_relaxed) &&
      membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) {
    atomic_store(&lp__has_membarrier, false);
  }
}
