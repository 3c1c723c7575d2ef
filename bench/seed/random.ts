// Seeded random numbers, time-ordered ids and day arithmetic: the dataset is the same for the same seed.

/** sfc32: small, fast, seedable; the dataset is the same for the same seed. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** [0, 1) */
  float(): number {
    return this.u32() / 4_294_967_296;
  }
  /** [0, n) */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** [lo, hi] */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }
  /** Picks by weight from `[value, weight]` pairs. */
  weighted<T>(table: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of table) total += w;
    let x = this.float() * total;
    for (const [v, w] of table) {
      x -= w;
      if (x < 0) return v;
    }
    return table[table.length - 1]![0];
  }
  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, chars);
  }
}

/** UUID v7 (time-ordered) ids from a synthetic clock: B-tree inserts stay at the right edge. */
export class IdGen {
  private seq = 0;
  constructor(
    private readonly rng: Rng,
    private ms: number,
  ) {}
  next(): string {
    if (++this.seq >= 4096) {
      this.seq = 0;
      this.ms += 1;
    }
    return uuid7(this.ms, this.seq, this.rng);
  }
}

export function uuid7(ms: number, seq: number, rng: Rng): string {
  const t = ms.toString(16).padStart(12, '0');
  const r1 = rng.u32();
  const r2 = rng.u32();
  return (
    `${t.slice(0, 8)}-${t.slice(8, 12)}-${(0x7000 | (seq & 0xfff)).toString(16)}-` +
    `${(0x8000 | (r1 & 0x3fff)).toString(16)}-${r2.toString(16).padStart(8, '0')}${((r1 >>> 16) & 0xffff).toString(16).padStart(4, '0')}`
  );
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 → 'YYYY-MM-DD', memoised (the generator asks for the same few thousand days). */
const dayCache = new Map<number, string>();
export function dayString(day: number): string {
  let s = dayCache.get(day);
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dayCache.set(day, s);
  }
  return s;
}

export function dayOf(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}
