// The environment of a command the user gave stampede to run (a fault's `exec:` hooks): the
// user's own, NODE_EXTRA_CA_CERTS included. stampede's launcher moves that variable aside for its
// own processes, which open no TLS connection and would each spend ~48 ms reading the
// certificates as Node starts (bin/extra-ca-certs.cjs); a user's command may well need them.

/** Where bin/stampede.cjs (and bin/extra-ca-certs.cjs) put the user's NODE_EXTRA_CA_CERTS. */
export const EXTRA_CA_CERTS_SET_ASIDE = 'STAMPEDE_NODE_EXTRA_CA_CERTS';

/** `env` with NODE_EXTRA_CA_CERTS as the user set it, and without the copy set aside. */
export function userEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { [EXTRA_CA_CERTS_SET_ASIDE]: setAside, ...rest } = env;
  return setAside === undefined ? rest : { ...rest, NODE_EXTRA_CA_CERTS: setAside };
}
