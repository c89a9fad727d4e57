import type { DataStream } from './data-stream.ts';
import type { WindowAssigner } from '../windows/assigners/window-assigner.ts';
import type { Collector } from '../runtime/collector.ts';
import { InvalidJobError } from '../errors.ts';

/** A record of either join side on its way into the shared window. */
interface Tagged<L, R> {
  side: 0 | 1;
  left: L | undefined;
  right: R | undefined;
}

/**
 * A window join in the making (Flink's `JoinedStreams`): `a.join(b).where(ka).equalTo(kb).window(assigner).apply(fn)`
 * pairs every left and right record with equal keys that fall into the same window (inner join).
 * @example
 * ```ts
 * persons.join(auctions).where((p) => p.id).equalTo((a) => a.seller).window(TumblingEventTimeWindows.of(10_000)).apply((p, a) => ({ name: p.name, auction: a.id }))
 * ```
 */
export class JoinedStreams<L, R> {
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
  ) {}

  /** The left side's key. */
  where<K>(leftKey: (value: L) => K): { equalTo(rightKey: (value: R) => K): WindowJoinBuilder<L, R, K> } {
    return { equalTo: (rightKey) => new WindowJoinBuilder<L, R, K>(this.left, this.right, leftKey, rightKey) };
  }
}

/** Both keys are set; choose the window. */
export class WindowJoinBuilder<L, R, K> {
  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly leftKey: (value: L) => K,
    private readonly rightKey: (value: R) => K,
  ) {}

  /** The windows both sides are cut into; pairs form within one window. */
  window(assigner: WindowAssigner): WindowedJoin<L, R, K> {
    if (assigner.kind === 'global') throw new InvalidJobError('a window join needs time windows (tumbling, sliding or session), not the global window');
    return new WindowedJoin<L, R, K>(this.left, this.right, this.leftKey, this.rightKey, assigner);
  }
}

/** A configured window join; `apply` builds it. */
export class WindowedJoin<L, R, K> {
  private latenessMs = 0;

  constructor(
    private readonly left: DataStream<L>,
    private readonly right: DataStream<R>,
    private readonly leftKey: (value: L) => K,
    private readonly rightKey: (value: R) => K,
    private readonly assigner: WindowAssigner,
  ) {}

  /** Records up to `ms` behind the watermark still join (the window fires again with the new pairs). */
  allowedLateness(ms: number): this {
    this.latenessMs = ms;
    return this;
  }

  /** One output per matching pair; it carries the window's max timestamp. */
  apply<O>(fn: (left: L, right: R) => O, name = 'window-join'): DataStream<O> {
    return this.flatApply<O>((l, r, out, ts) => out.emit(fn(l, r), ts), name);
  }

  /** Any number of outputs per matching pair, emitted with `out.emit(value, timestamp)` (`ts` is the window's max timestamp). */
  flatApply<O>(fn: (left: L, right: R, out: Collector<O>, ts: number) => void, name = 'window-join'): DataStream<O> {
    const { leftKey, rightKey } = this;
    const lefts = this.left.map((left): Tagged<L, R> => ({ side: 0, left, right: undefined }), `${name}:left`);
    const rights = this.right.map((right): Tagged<L, R> => ({ side: 1, left: undefined, right }), `${name}:right`);
    return lefts
      .union(rights)
      .keyBy((t) => (t.side === 0 ? leftKey(t.left as L) : rightKey(t.right as R)))
      .window(this.assigner)
      .allowedLateness(this.latenessMs)
      .process<O>((_key, elements, ctx, out) => {
        const ls: L[] = [];
        const rs: R[] = [];
        for (const e of elements) e.side === 0 ? ls.push(e.left as L) : rs.push(e.right as R);
        const ts = ctx.window.end - 1;
        for (const l of ls) for (const r of rs) fn(l, r, out, ts);
      }, name);
  }
}
