// Progress on stderr, only when it is a terminal: library users and pipes
// never see a progress line they did not ask for.
import type { WriteStream } from 'node:tty';

const REDRAW_MS = 200;

export class Progress {
  private readonly stream: (NodeJS.WritableStream & Partial<Pick<WriteStream, 'isTTY'>>) | null;
  private readonly startedMs = Date.now();
  private lastDrawMs = 0;
  private drawn = false;

  constructor(stream: NodeJS.WritableStream | null, private readonly total: number, private readonly unit = 's simulated') {
    this.stream = stream && (stream as Partial<WriteStream>).isTTY ? stream : null;
  }

  update(done: number): void {
    if (!this.stream) return;
    const nowMs = Date.now();
    if (nowMs - this.lastDrawMs < REDRAW_MS) return;
    this.lastDrawMs = nowMs;
    const fraction = Math.min(1, done / this.total);
    const elapsed = (nowMs - this.startedMs) / 1000;
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
    const bar = '#'.repeat(Math.round(fraction * 20)).padEnd(20, '.');
    const line = `[${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${Math.round(done)}/${Math.round(this.total)} ${this.unit}  elapsed ${elapsed.toFixed(0)} s  eta ${Number.isFinite(eta) ? eta.toFixed(0) : '?'} s`;
    this.stream.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  done(): void {
    if (this.stream && this.drawn) this.stream.write('\r\x1b[K');
  }
}
