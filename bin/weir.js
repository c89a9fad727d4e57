#!/usr/bin/env node
// The `weir` command: registers tsx so job files and the CLI run as TypeScript, then hands over.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
