// NODE_EXTRA_CA_CERTS, set aside for stampede's own processes.
//
// Node 20 reads and parses the certificates that NODE_EXTRA_CA_CERTS names as it starts, whatever
// the process goes on to do: with Debian's bundle (/etc/ssl/certs/ca-certificates.crt, ~140
// certificates, which some machines set it to) that is ~48 ms of every start on the project's VM
// (`node -e 0` 78 ms with it, 30 ms without; docs/ARCHITECTURE.md, "Start-up"). Only TLS uses
// them, and stampede opens no TLS connection: the simulation touches no network, and live mode's
// services, clients and stores talk plain TCP on loopback. So the variable is moved aside, under
// SET_ASIDE, before Node starts (bin/stampede.cjs's lines for sh) or, started as `node
// bin/stampede.cjs`, before this process starts another (the relaunch for huge pages, live mode's
// services and client processes). The commands a user gives stampede to run (live mode's `exec:`
// hooks, which may well talk TLS) get it back: live/user-environment.ts.
'use strict';

const VARIABLE = 'NODE_EXTRA_CA_CERTS';
/** Where the user's value waits; the same name in bin/stampede.cjs's sh lines and live/user-environment.ts. */
const SET_ASIDE = 'STAMPEDE_NODE_EXTRA_CA_CERTS';

/** Moves NODE_EXTRA_CA_CERTS of `env` (this process's by default) aside, if it is set. */
function setAsideExtraCaCerts(env = process.env) {
  if (env[VARIABLE] === undefined) return;
  env[SET_ASIDE] = env[VARIABLE];
  delete env[VARIABLE];
}

module.exports = { setAsideExtraCaCerts, SET_ASIDE };
