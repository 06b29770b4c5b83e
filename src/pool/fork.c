/* fork() safety. Every pool is on a registry; pthread_atfork handlers lock every pool around fork() so the
 * child inherits consistent structures, and in the child empty each pool: the parent's connections belong
 * to the parent (destroying them could close sockets it still uses), so the child forgets them. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "pool/pool_int.h"

_Atomic unsigned lp__fork_generation;

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static lp_pool *registry; /* under registry_mu */
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void before_fork(void) {
  pthread_mutex_lock(&registry_mu);
  for (lp_pool *p = registry; p != NULL; p = p->reg_next) pthread_mutex_lock(&p->mu);
}

static void after_fork_parent(void) {
  for (lp_pool *p = registry; p != NULL; p = p->reg_next) pthread_mutex_unlock(&p->mu);
  pthread_mutex_unlock(&registry_mu);
}

/* Runs in the child, which has one thread: the forking one. Nothing else can touch the pool. */
static void empty_in_child(lp_pool *p) {
  for (int i = 0; i < p->n_slots; i++) {
    atomic_store_explicit(&p->slots[i].conn, NULL, memory_order_relaxed);
    atomic_store_explicit(&p->slots[i].state, LP__EMPTY, memory_order_relaxed);
    atomic_store_explicit(&p->slots[i].owner, NULL, memory_order_relaxed);
    atomic_store_explicit(&p->slots[i].owner_busy, 0, memory_order_relaxed); /* its thread is gone */
  }
  p->wait_head = p->wait_tail = NULL; /* their threads do not exist here */
  atomic_store(&p->n_waiters, 0);
  p->is_cleaning = false;
  p->is_maintaining = false;
  p->is_stopping = false;
  p->has_thread = false;
  p->wait_count = p->wait_total_ns = p->timeouts = 0;
  atomic_store(&p->leaks, 0);
  memset(&p->waits, 0, sizeof p->waits);
  lp__locals_after_fork(p);
  /* Other parent threads may have been waiting on these; start them afresh. */
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->state_cond, &p->cond_attr);
}

static void after_fork_child(void) {
  atomic_fetch_add(&lp__fork_generation, 1);
  lp__barrier_after_fork();
  for (lp_pool *p = registry; p != NULL; p = p->reg_next) empty_in_child(p);
  pthread_mutex_init(&registry_mu, NULL);
}

static void install_handlers(void) {
  pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

void lp__fork_register(lp_pool *p) {
  pthread_once(&handlers_once, install_handlers);
  pthread_mutex_lock(&registry_mu);
  p->reg_next = registry;
  registry = p;
  pthread_mutex_unlock(&registry_mu);
}

void lp__fork_unregister(lp_pool *p) {
  pthread_mutex_lock(&registry_mu);
  for (lp_pool **at = &registry; *at != NULL; at = &(*at)->reg_next) {
    if (*at == p) {
      *at = p->reg_next;
      break;
    }
  }
  pthread_mutex_unlock(&registry_mu);
}
