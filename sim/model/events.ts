// Event kinds of the model. An event carries its kind and one integer target
// (a client, instance, server or fault index), nothing else.
export const EventKind = {
  /** The single pending timer of a client; what it means depends on the client's state. */
  client: 0,
  sample: 1,
  lookupRefresh: 2,
  faultStart: 3,
  faultEnd: 4,
  serverRestart: 5,
  serverRunning: 6,
} as const;
