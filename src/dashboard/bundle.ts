import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The dashboard's static files, built once per process. */
export interface DashboardAssets {
  'index.html': string;
  'app.js': string;
  'app.css': string;
}

let built: Promise<DashboardAssets> | undefined;

/**
 * Bundles the dashboard's front end (preact + htm + uPlot, `ui/app.js`) with esbuild into memory
 * the first time a dashboard starts: the page loads nothing from outside 127.0.0.1, no CDN.
 */
export function dashboardAssets(): Promise<DashboardAssets> {
  built ??= (async () => {
    const result = await build({
      entryPoints: [new URL('./ui/app.js', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const require = createRequire(import.meta.url);
    const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    return {
      'index.html': readFileSync(new URL('./ui/index.html', import.meta.url), 'utf8'),
      'app.js': result.outputFiles[0]!.text,
      'app.css': uplotCss + readFileSync(new URL('./ui/app.css', import.meta.url), 'utf8'),
    };
  })();
  return built;
}
