// Event kinds of the model. An event carries its kind and one integer target
// (a client, instance, server, manager or fault index), nothing else.
export const EventKind = {
  /** The single pending timer of a client; what it means depends on the client's state. */
  client: 0,
  sample: 1,
  lookupRefresh: 2,
  faultStart: 3,
  faultEnd: 4,
  serverRestart: 5,
  /** A starting server finished starting (→ standby with managers, → running without). */
  serverStarted: 6,
  /** Target: term · 64 + manager. */
  healthCheck: 7,
  healthReplies: 8,
  healthTimeouts: 9,
  managerSync: 10,
  election: 11,
  /** A transitional ZooKeeper state is written (suspending → suspended, resuming → running). */
  zkCommit: 12,
  deployDrain: 13,
  deployStop: 14,
  outOfMemory: 15,
  heapTrendCheck: 16,
  managerRestart: 17,
  /** A draining server closes its next batch of sessions (deploy with a close rate). */
  deployClose: 18,
  /** Every server's heap advances (scenarios with leaks). */
  heapTick: 19,
  /** A server removed from service at a heap alert closes its sessions and stops. */
  removalStop: 20,
  /** A round of the L4 switch's TCP health check (`lookup.algorithm: l4`). */
  l4Check: 21,
} as const;
