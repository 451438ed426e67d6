/**
 * Progress of long CLI work, on stderr (stdout carries only the command's result, so it can be piped).
 * On a terminal: one line redrawn in place. Otherwise (CI logs, the bench runner, tests): a plain
 * line per finished phase, or nothing, and never a control character.
 */

const tty = () => Boolean(process.stderr.isTTY);

/**
 * A bar over a known total (rows, values, accounts), in named phases: seed-load, phi-rotate,
 * seed-demo. Redrawn at most every 100 ms; off a terminal, one line per phase with its count and
 * seconds (`<label>: <phase> <n> <unit> in <s> s`).
 */
export class ProgressBar {
  #done = 0;
  #last = 0;
  readonly #tty = tty();
  #phase = '';
  #phaseStart = 0;
  #phaseCount = 0;
  readonly total: number;
  readonly #label: string;
  readonly #unit: string;
  constructor(total: number, label: string, unit = 'rows') {
    this.total = total;
    this.#label = label;
    this.#unit = unit;
  }

  phase(name: string) {
    this.#phase = name;
    this.#phaseStart = performance.now();
    this.#phaseCount = 0;
    this.#draw(true);
  }
  add(count: number) {
    this.#done += count;
    this.#phaseCount += count;
    this.#draw(false);
  }
  endPhase() {
    this.#draw(true);
    if (!this.#tty) {
      const s = ((performance.now() - this.#phaseStart) / 1000).toFixed(1);
      process.stderr.write(
        `${this.#label}: ${this.#phase} ${this.#phaseCount.toLocaleString('en')} ${this.#unit} in ${s} s\n`,
      );
    }
  }
  finish() {
    if (this.#tty) process.stderr.write('\n');
  }
  #draw(force: boolean) {
    if (!this.#tty) return;
    const now = performance.now();
    if (!force && now - this.#last < 100) return;
    this.#last = now;
    const width = 30;
    const ratio = this.total === 0 ? 1 : Math.min(1, this.#done / this.total);
    const filled = Math.round(ratio * width);
    process.stderr.write(
      `\r${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ` +
        `${this.#phase.padEnd(16)} ${this.#done.toLocaleString('en')}/${this.total.toLocaleString('en')} ${this.#unit}\x1b[K`,
    );
  }
}

/**
 * For work with no count to show (one pg_dump, one rebuild transaction): on a terminal, the seconds
 * it has been running, redrawn every second and erased when it ends, so the result prints on a clean
 * line; elsewhere nothing.
 */
export async function ticking<T>(label: string, work: Promise<T>): Promise<T> {
  if (!tty()) return work;
  const started = performance.now();
  const draw = () =>
    process.stderr.write(`\r${label}: ${((performance.now() - started) / 1000).toFixed(0)} s\x1b[K`);
  draw();
  const timer = setInterval(draw, 1000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  }
}
