// Apart from gate.ts, which loads the simulation: validate and the glob expansion throw it too.
/** A flag combination or input the gate cannot use (exit code 2, like a usage error). */
export class GateInputError extends Error {
  override name = 'GateInputError';
}
