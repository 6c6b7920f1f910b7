import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.js';

describe('Semaphore', () => {
  it('hands out at most its capacity', () => {
    const s = new Semaphore(2);
    expect([s.tryAcquire(), s.tryAcquire(), s.tryAcquire()]).toEqual([true, true, false]);
    expect(s.available).toBe(0);
    expect(s.inUse).toBe(2);
    s.release();
    expect(s.available).toBe(1);
    expect(s.tryAcquire()).toBe(true);
  });

  it('serves waiters first-in first-out, passing the permit directly', async () => {
    const s = new Semaphore(1);
    await s.acquire();
    const order: number[] = [];
    const a = s.acquire().then(() => order.push(1));
    const b = s.acquire().then(() => order.push(2));
    s.release();
    // The permit went to the first waiter: a racing tryAcquire cannot overtake it.
    expect(s.tryAcquire()).toBe(false);
    await a;
    s.release();
    await b;
    expect(order).toEqual([1, 2]);
    s.release();
    expect(s.available).toBe(1);
  });

  it('refuses bad capacities and over-release', () => {
    expect(() => new Semaphore(0)).toThrow('Semaphore needs a positive integer number of permits (got 0)');
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
    const s = new Semaphore(1);
    expect(() => s.release()).toThrow('Semaphore released more often than acquired');
  });
});
