// The signature gate of the store's VFS (walvfs_linux.go, gate.go): a
// slot per connection, armed by Go, checked by its helper thread while the
// transaction is written and its commit synced, and waited for by the
// WAL's sync that follows the commit frame (wvWalSync). Included once,
// by the cgo preamble of walvfs_linux.go.

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WV_GATES 64
#define WV_SCHED_BATCH 3 // SCHED_BATCH (<sched.h> has it only with _GNU_SOURCE)

// A gate slot: armed by Go, checked by its helper thread, fired by the
// WAL's sync.
typedef struct wvGate {
  volatile int armed;  // the next commit's sync waits for state
  volatile int state;  // futex word: 0 pending, 1 good, 2 bad
  volatile int req;    // futex word: a check asked of the helper
  volatile int fired;  // 0 not reached, 1 passed, 2 refused, 3 refused and the salt not written
  int helper;          // 1 runs, -1 could not start
} wvGate;
static wvGate wvGates[WV_GATES + 1]; // [0] unused: slot 0 is "no gate"
extern int markdGateCheck(int slot); // gate_linux.go

// wvGateWait returns the slot's state once Go resolved it: normally at
// once (the check ran during the sync), else after a short spin, yields
// and 20 µs sleeps.

static void wvFutexWait(volatile int *w, int v) { syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, 0, 0, 0); }
static void wvFutexWake(volatile int *w) { syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0); }

static void wvGateResolve(wvGate *g, int slot) {
  int ok = markdGateCheck(slot);
  __atomic_store_n(&g->state, ok ? 1 : 2, __ATOMIC_RELEASE);
  wvFutexWake(&g->state);
}

static void *wvGateHelper(void *a) {
  wvGate *g = a;
  int slot = (int)(g - wvGates);
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, 0); // signals go to Go's threads
  // SCHED_BATCH: the helper never preempts the thread that woke it. As
  // SCHED_OTHER, a wake on a busy box landed on the committing thread's
  // CPU and ran the check there first, before the statements (2 of 3
  // scans in P1 on 2 cores, docs/notes/perf.md): the check then did not
  // overlap anything. Now it runs on another CPU when one is free, else
  // while the committing thread sleeps in the fsync. Same weight as any
  // thread, so a loaded box cannot starve it; failing to set it is
  // harmless.
  struct sched_param sp;
  memset(&sp, 0, sizeof sp);
  sched_setscheduler(0, WV_SCHED_BATCH, &sp);
  for (;;) {
    while (!__atomic_load_n(&g->req, __ATOMIC_ACQUIRE)) wvFutexWait(&g->req, 0);
    __atomic_store_n(&g->req, 0, __ATOMIC_RELEASE);
    wvGateResolve(g, slot);
  }
  return 0;
}

// wvGateStart asks the slot's helper for the check (run here when it has
// no helper).
static void wvGateStart(int slot) {
  wvGate *g = &wvGates[slot];
  if (g->helper == 0) {
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    g->helper = pthread_create(&th, &at, wvGateHelper, g) == 0 ? 1 : -1;
    pthread_attr_destroy(&at);
  }
  if (g->helper < 0) {
    wvGateResolve(g, slot);
    return;
  }
  __atomic_store_n(&g->req, 1, __ATOMIC_RELEASE);
  wvFutexWake(&g->req);
}

// wvGateWait returns the check's result: 1 good, 2 bad.
static int wvGateWait(wvGate *g) {
  int s = __atomic_load_n(&g->state, __ATOMIC_ACQUIRE);
  if (s != 0) return s;
  for (int i = 0; (s = __atomic_load_n(&g->state, __ATOMIC_ACQUIRE)) == 0; i++) {
    if (i >= 100) wvFutexWait(&g->state, 0);
  }
  return s;
}

// wvGateArm arms a slot and starts its check.
static void wvGateArm(int slot) {
  wvGates[slot].fired = 0;
  __atomic_store_n(&wvGates[slot].state, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&wvGates[slot].armed, 1, __ATOMIC_RELEASE);
  wvGateStart(slot);
}
// wvGateDisarm disarms a slot once its check is over (the helper is then
// idle and Go may replace the check) and returns fired.
static int wvGateDisarm(int slot) {
  __atomic_store_n(&wvGates[slot].armed, 0, __ATOMIC_RELEASE);
  wvGateWait(&wvGates[slot]);
  return __atomic_load_n(&wvGates[slot].fired, __ATOMIC_ACQUIRE);
}
// wvGateClear: a slot given back (never armed, or its check over).
static void wvGateClear(int slot) { __atomic_store_n(&wvGates[slot].armed, 0, __ATOMIC_RELEASE); }
