/**
 * Fresh patients and slots for the scenarios that book, handed out in consecutive runs: nothing is
 * ever booked twice and no patient books twice, across the whole run. The slots come round-robin
 * over the doctors (each doctor's earliest first), so any consecutive run of them is spread over all
 * doctors. Running short is not an error here: it is noted (seed more), and the scenario gets fewer.
 */
import { n0, note, type Pair } from './lib.ts';

export class Supply {
  readonly #patients: string[];
  readonly #slots: string[];
  #nextPatient = 0;
  #nextSlot = 0;

  constructor(patients: string[], slots: string[]) {
    this.#patients = patients;
    this.#slots = slots;
  }

  /** All patients seeded, handed out or not. */
  get patientCount(): number {
    return this.#patients.length;
  }

  patients(count: number, what: string): string[] {
    const n = Math.min(count, this.#patients.length - this.#nextPatient);
    if (n < count) note(`only ${n0(n)} of ${n0(count)} patients left for ${what} (seed more)`);
    this.#nextPatient += n;
    return this.#patients.slice(this.#nextPatient - n, this.#nextPatient);
  }

  pairs(count: number, what: string): Pair[] {
    const n = Math.min(count, this.#patients.length - this.#nextPatient, this.#slots.length - this.#nextSlot);
    if (n < count) note(`only ${n0(n)} of ${n0(count)} (patient, slot) pairs left for ${what} (seed more)`);
    const pairs = Array.from({ length: n }, (_, i) => ({
      patientId: this.#patients[this.#nextPatient + i]!,
      slotId: this.#slots[this.#nextSlot + i]!,
    }));
    this.#nextPatient += n;
    this.#nextSlot += n;
    return pairs;
  }

  slot(): string {
    const slot = this.#slots[this.#nextSlot++];
    if (!slot) throw new Error('no bookable slot left (seed more)');
    return slot;
  }
}
