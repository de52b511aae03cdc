// Exit codes of the deployment's own processes.
/** A session server's overload crash (docs/model.md §6). */
export const OVERLOAD_EXIT_CODE = 75;
