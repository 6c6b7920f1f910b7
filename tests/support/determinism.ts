/** A pinned clock and a deterministic UUID sequence, so tests can assert exact values. */
export class TestClock {
  private current: Date;
  constructor(start: Date | string = '2025-01-01T00:00:00.000Z') {
    this.current = new Date(start);
  }
  readonly now = (): Date => new Date(this.current.getTime());
  set(d: Date | string): void {
    this.current = new Date(d);
  }
  advance(ms: number): Date {
    this.current = new Date(this.current.getTime() + ms);
    return this.now();
  }
}

/** `00000000-0000-7000-8000-000000000001`, `…002`, …: valid, ordered, predictable ids. */
export function sequentialIds(start = 1): { next: () => string; peek: () => string; reset: (n?: number) => void } {
  let n = start;
  const fmt = (i: number) => `00000000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
  return {
    next: () => fmt(n++),
    peek: () => fmt(n),
    reset: (i = start) => {
      n = i;
    },
  };
}

export function idAt(i: number): string {
  return `00000000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
}
