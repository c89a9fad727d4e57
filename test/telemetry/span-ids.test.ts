import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SpanIds } from '../../src/telemetry/span-ids.ts';

test('span ids: new traces and spans are unique and never all zeros, a child keeps its parent trace id, and ids stay valid after the pool is replaced', () => {
  const ids = new SpanIds();
  const parent = '4bf92f3577b34da6a3ce929d0e0e4736';
  const seen = new Set<string>();
  const kept: Array<{ pool: Buffer; at: number; hex: string; child: boolean }> = [];
  // 10k spans: about four pools of 64 KiB.
  for (let i = 0; i < 10_000; i++) {
    const child = i % 3 === 0;
    const at = ids.take(child ? parent : undefined);
    const hex = ids.pool.toString('hex', at, at + 24);
    assert.ok(!/^0{32}/.test(hex) && !/0{16}$/.test(hex), `span ${i}: no all-zero id`);
    if (child) assert.is(hex.slice(0, 32), parent);
    else assert.not.ok(seen.has(hex.slice(0, 32)), `trace id ${i} is new`);
    assert.not.ok(seen.has(hex.slice(32)), `span id ${i} is new`);
    seen.add(hex.slice(32));
    if (!child) seen.add(hex.slice(0, 32));
    kept.push({ pool: ids.pool, at, hex, child });
  }
  assert.ok(new Set(kept.map((k) => k.pool)).size >= 4, 'the pool was replaced');
  for (const k of kept) assert.is(k.pool.toString('hex', k.at, k.at + 24), k.hex, 'a span still reads its own ids');
});

test.run();
