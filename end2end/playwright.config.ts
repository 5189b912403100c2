import { defineConfig } from '@playwright/test';
import * as path from 'path';

// The server under test: built by `cargo leptos build` (scripts/test.sh), run
// here with a fresh database and media folder in demo mode.
const port = Number(process.env.E2E_PORT ?? 3100);
const root = path.resolve(__dirname, '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
const serverBin = process.env.SERVER_BIN ?? path.join(targetDir, 'debug', 'server');
export const dataDir = path.join(__dirname, '.data');
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium; Playwright's own browser download cannot work here.
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
      ],
    },
  },
  webServer: {
    command: `rm -rf "${dataDir}" && exec "${serverBin}"`,
    cwd: root,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      DATABASE_URL: `sqlite://${dataDir}/share.db`,
      MEDIA_DIR: `${dataDir}/media`,
      DEMO_MODE: 'true',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? path.join(root, 'target', 'site'),
      MAX_UPLOAD_BYTES: '3000000',
      RUST_LOG: 'warn',
    },
  },
});
