/**
 * A turn of the event loop between declaring one service and the next.
 *
 * The program declares resources synchronously; each one leaves the SDK a few hundred pending
 * promises and closures (one set per output property) until its registration completes. Declared
 * in one burst, the whole stack is pending at once — under the offline preview's mocks, where a
 * registration completes within the turn, yielding here bounds that to one service (50 services:
 * from about 450 MiB of pending state to about 100). The real engine answers over gRPC, so there the
 * turn only lets pending I/O run; what is declared, and in which order, is the same.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
