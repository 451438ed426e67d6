/**
 * A command's progress on stderr (stdout carries only the final summary): seed-load's, phi-rotate's.
 * On a terminal: one bar, redrawn at most every 100 ms, over all rows of all tables. Otherwise (a
 * log, the bench runner): one line per table with its rows and seconds, no control characters.
 */

export class ProgressBar {
  #done = 0;
  #last = 0;
  readonly #tty = Boolean(process.stderr.isTTY);
  #phase = '';
  #phaseStart = 0;
  #phaseRows = 0;
  readonly total: number;
  readonly #label: string;
  constructor(total: number, label = 'seed-load') {
    this.total = total;
    this.#label = label;
  }

  phase(name: string) {
    this.#phase = name;
    this.#phaseStart = performance.now();
    this.#phaseRows = 0;
    this.#draw(true);
  }
  add(rows: number) {
    this.#done += rows;
    this.#phaseRows += rows;
    this.#draw(false);
  }
  endPhase() {
    this.#draw(true);
    if (!this.#tty) {
      const s = ((performance.now() - this.#phaseStart) / 1000).toFixed(1);
      process.stderr.write(
        `${this.#label}: ${this.#phase} ${this.#phaseRows.toLocaleString('en')} rows in ${s} s\n`,
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
        `${this.#phase.padEnd(16)} ${this.#done.toLocaleString('en')}/${this.total.toLocaleString('en')} rows\x1b[K`,
    );
  }
}
