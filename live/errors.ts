// Errors of live mode that are the user's or the machine's, not a bug: printed as one clear
// message, exit code 2 (invalid input / environment), never a stack trace.
export class LiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveError';
  }
}
