/** A progress bar with time remaining, on stderr; silent when stderr is not a terminal. */
export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(readonly label: string, readonly total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY) && !process.env.CI;
    this.stream = stream;
  }
  private readonly stream: NodeJS.WriteStream;

  tick(n = 1, note = ''): void {
    this.done = Math.min(this.total, this.done + n);
    const now = Date.now();
    if (!this.tty || (now - this.lastDraw < 100 && this.done < this.total)) return;
    this.lastDraw = now;
    const frac = this.total > 0 ? this.done / this.total : 1;
    const width = 28;
    const filled = Math.round(frac * width);
    const elapsed = (now - this.start) / 1000;
    const eta = frac > 0 ? (elapsed * (1 - frac)) / frac : NaN;
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    this.stream.write(`\r${this.label} ${bar} ${this.done}/${this.total} ${fmt(elapsed)} elapsed, ${fmt(eta)} left ${note}\x1b[K`);
  }

  finish(): void {
    if (this.tty) this.stream.write('\n');
  }
}

function fmt(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
