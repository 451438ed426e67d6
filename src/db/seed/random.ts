/**
 * The seed's only source of randomness: a PRNG (mulberry32) seeded by --seed, so one seed always
 * gives the same names, profiles and ids. Every generator draws from one shared Random in a fixed
 * order; changing the order of draws changes every row after it.
 */

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Random {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** `count` distinct items, in the list's order. */
  some<T>(items: readonly T[], count: number): T[] {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(count, items.length)) chosen.add(Math.floor(this.next() * items.length));
    return [...chosen].sort((a, b) => a - b).map((i) => items[i]!);
  }
  /** A version-4 UUID from this generator (deterministic for a seed). */
  uuid(): string {
    const b = new Uint8Array(16);
    for (let i = 0; i < 16; i += 4) {
      const v = Math.floor(this.next() * 4294967296);
      b[i] = v >>> 24;
      b[i + 1] = (v >>> 16) & 0xff;
      b[i + 2] = (v >>> 8) & 0xff;
      b[i + 3] = v & 0xff;
    }
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    return formatUuid(b);
  }
}

function formatUuid(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * A version-7 UUID for the `n`th seeded thing of a `kind` (n < 2^32), at `ms`: time-ordered, so a
 * bulk load appends at the primary keys' right edge; unique per (kind, n) (n is scrambled by a
 * bijection, so ids look random); a pure function, so every pass over the story names things alike.
 */
export function seededUuid(seed: number, kind: number, n: number, ms: number): string {
  const salt = Math.imul((seed + kind * 0x1000193) >>> 0, 0x85ebca6b) >>> 0;
  const scrambled = Math.imul((n ^ salt) >>> 0, 0x9e3779b1) >>> 0;
  return (
    `${hex(Math.floor(ms / 65536), 8)}-${hex(ms % 65536, 4)}-7${hex(((kind & 0xf) << 8) | (salt & 0xff), 3)}-` +
    `${hex(0x8000 | ((salt >>> 8) & 0x3fff), 4)}-${hex(salt >>> 22, 4)}${hex(scrambled, 8)}`
  );
}
