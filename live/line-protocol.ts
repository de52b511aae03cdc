// The session servers' line protocol (HELLO/OK/FULL/BUSY, PING/PONG, BYE):
// what arrives on a socket, cut into lines, for both ends.
import type { Socket } from 'node:net';

/**
 * Calls `handle` with each complete line that arrives on `socket`, in order.
 * `handle` returns false to stop reading (the socket is no longer its
 * caller's); `afterChunk` runs once a chunk's lines are handled, with what
 * is left of an unfinished line.
 */
export function onLines(socket: Socket, handle: (line: string) => boolean | void, afterChunk?: (pending: string) => void): void {
  let buffer = '';
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (handle(line) === false) return;
    }
    afterChunk?.(buffer);
  });
}
