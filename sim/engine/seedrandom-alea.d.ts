// The one generator of seedrandom that stampede uses, imported alone: the package's main module
// also loads node:crypto (for its auto-seeding), ~4 ms of every start.
declare module 'seedrandom/lib/alea.js' {
  import type seedrandom from 'seedrandom';
  const alea: typeof seedrandom.alea;
  export default alea;
}
