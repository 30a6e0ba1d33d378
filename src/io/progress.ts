/**
 * Progress of a long command, on stderr. On a terminal: a bar with time remaining, redrawn in place.
 * Elsewhere (a SLURM log, a queue worker's log, CI, a pipe): plain timestamped lines, at most one
 * every CREDITFLOW_PROGRESS_SECONDS seconds (default 30), the first once that interval has passed,
 * and a last line at the end when any was printed, so short commands stay quiet and a log of a
 * long one shows it advancing.
 */
export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private lastLine = this.start;
  private lines = 0;
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;

  constructor(readonly label: string, readonly total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY) && !process.env.CI;
    this.stream = stream;
  }

  tick(n = 1, note = ''): void {
    this.done = Math.min(this.total, this.done + n);
    const now = Date.now();
    if (!this.tty) {
      if (now - this.lastLine >= lineInterval() * 1000) this.line(now, note);
      return;
    }
    if (now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const frac = this.fraction();
    const width = 28;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    this.stream.write(`\r${this.label} ${bar} ${this.done}/${this.total} ${this.times(now)} ${note}\x1b[K`);
  }

  finish(): void {
    if (this.tty) this.stream.write('\n');
    else if (this.lines > 0) this.line(Date.now(), 'finished');
  }

  private fraction(): number {
    return this.total > 0 ? this.done / this.total : 1;
  }

  private times(now: number): string {
    const frac = this.fraction();
    const elapsed = (now - this.start) / 1000;
    const eta = frac > 0 ? (elapsed * (1 - frac)) / frac : NaN;
    return `${fmt(elapsed)} elapsed, ${fmt(eta)} left`;
  }

  /** `2024-05-01T12:00:00Z label: 3/20 (15%), 1m10s elapsed, 6m37s left (note)` */
  private line(now: number, note: string): void {
    this.lastLine = now;
    this.lines++;
    const pct = Math.floor(100 * this.fraction());
    const stamp = new Date(now).toISOString().slice(0, 19) + 'Z';
    this.stream.write(`${stamp} ${this.label}: ${this.done}/${this.total} (${pct}%), ${this.times(now)}${note ? ` (${note})` : ''}\n`);
  }
}

/** Seconds between plain progress lines (CREDITFLOW_PROGRESS_SECONDS, default 30). */
function lineInterval(): number {
  const raw = process.env.CREDITFLOW_PROGRESS_SECONDS;
  const v = raw ? Number(raw) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : 30;
}

function fmt(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
