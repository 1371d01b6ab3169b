// The signature gate of the store's VFS (walvfs_linux.go, gate.go): a
// slot per connection, armed by Go and passed by the WAL's sync that
// follows the commit frame (wvWalSync), which starts the frames' write-out,
// runs the check on the committing thread meanwhile, then syncs. Included
// once, by the cgo preamble of walvfs_linux.go.

#define WV_GATES 64

// A gate slot: armed by Go, fired by the WAL's sync.
typedef struct wvGate {
  volatile int armed;  // the next commit's sync runs the check
  volatile int fired;  // 0 not reached, 1 passed, 2 refused, 3 refused and the salt not written
} wvGate;
static wvGate wvGates[WV_GATES + 1]; // [0] unused: slot 0 is "no gate"
extern int markdGateCheck(int slot); // gate_linux.go

// wvGateArm arms a slot: the next commit's sync on its connection runs
// the check Go stored for it.
static void wvGateArm(int slot) {
  __atomic_store_n(&wvGates[slot].fired, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&wvGates[slot].armed, 1, __ATOMIC_RELEASE);
}
// wvGateDisarm disarms a slot once its transaction is over and returns
// fired.
static int wvGateDisarm(int slot) {
  __atomic_store_n(&wvGates[slot].armed, 0, __ATOMIC_RELEASE);
  return __atomic_load_n(&wvGates[slot].fired, __ATOMIC_ACQUIRE);
}
// wvGateClear: a slot given back.
static void wvGateClear(int slot) { __atomic_store_n(&wvGates[slot].armed, 0, __ATOMIC_RELEASE); }
