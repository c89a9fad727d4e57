import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
let installAttempted = false;

/**
 * Debian's chromium at /usr/bin/chromium; as root, installs the package when missing; otherwise
 * fails saying how to install it (as findNatsServer does for nats-server).
 */
export function findChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() === 0 && !installAttempted) {
    installAttempted = true;
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return findChromium();
  }
  throw new Error(`chromium was not found at ${CHROMIUM}. The dashboard's browser test drives Debian's chromium package: install it with \`sudo apt-get install -y chromium\` (Debian/Ubuntu).`);
}

/** A headless Chromium with a fresh profile in `userDataDir`, nothing fetched from the network on its own. */
export function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: findChromium(),
    headless: true,
    viewport: { width: 1400, height: 1100 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
