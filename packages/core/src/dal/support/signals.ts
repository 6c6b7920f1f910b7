import type { ExecutionEventType } from '../../models/vocabulary.js';
import type { Signal, SignalBus } from '../types.js';

type Listener = (s: Signal) => void;

/**
 * Process-wide delivery of signals between every DAL instance that uses the same database
 * (key = PostgreSQL database + schema, or the resolved SQLite file), whatever its implementation.
 */
class SignalHub {
  private readonly channels = new Map<string, Set<Listener>>();

  bus(key: string): SignalBus {
    return {
      subscribe: (listener) => {
        let set = this.channels.get(key);
        if (!set) this.channels.set(key, (set = new Set()));
        set.add(listener);
        return () => {
          set!.delete(listener);
          if (set!.size === 0) this.channels.delete(key);
        };
      },
    };
  }

  publish(key: string, signals: readonly Signal[]): void {
    const set = this.channels.get(key);
    if (!set || signals.length === 0) return;
    for (const s of signals) {
      for (const l of [...set]) {
        try {
          l(s);
        } catch {
          // A listener's failure must never affect the write that produced the signal.
        }
      }
    }
  }
}

const HUB_KEY = Symbol.for('cloacina.signalHub');
const g = globalThis as unknown as Record<symbol, SignalHub | undefined>;
/** Shared even if several copies of core are loaded in one process. */
export const signalHub: SignalHub = (g[HUB_KEY] ??= new SignalHub());

/**
 * Collects the signals of one transaction. Events of one type for one pipeline are
 * coalesced into one signal (taskExecutionId null when they concern several tasks),
 * in order of first occurrence, so every implementation publishes the same signals.
 */
export class SignalBuffer {
  private readonly items = new Map<string, Signal>();

  constructor(private readonly schema: string | null) {}

  add(type: ExecutionEventType, pipelineExecutionId: string, taskExecutionId: string | null): void {
    const key = `${type}\u0000${pipelineExecutionId}`;
    const prev = this.items.get(key);
    if (!prev) {
      this.items.set(key, { type, pipelineExecutionId, taskExecutionId, schema: this.schema });
    } else if (prev.taskExecutionId !== taskExecutionId) {
      prev.taskExecutionId = null;
    }
  }

  /** Moves a committed savepoint's signals into its parent. */
  absorb(child: SignalBuffer): void {
    for (const s of child.drain()) this.add(s.type, s.pipelineExecutionId, s.taskExecutionId);
  }

  drain(): Signal[] {
    const out = [...this.items.values()];
    this.items.clear();
    return out;
  }

  get size(): number {
    return this.items.size;
  }
}
