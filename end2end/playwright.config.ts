import { defineConfig } from '@playwright/test';
import * as path from 'path';

// The server under test: built by `cargo leptos build` (scripts/test.sh), run
// here with a fresh database and media folder in demo mode.
const port = Number(process.env.E2E_PORT ?? 3100);
export const root = path.resolve(__dirname, '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
export const serverBin = process.env.SERVER_BIN ?? path.join(targetDir, 'debug', 'server');
export const dataDir = path.join(__dirname, '.data');
export const baseURL = `http://127.0.0.1:${port}`;
// A second server that sends real email, to an SMTP server of the tests'
// (aiosmtpd keeping each message in a Maildir).
const mailPort = port + 1;
const smtpPort = port + 25;
export const mailDataDir = path.join(__dirname, '.data-mail');
export const maildir = path.join(__dirname, '.data-smtp', 'maildir');
export const mailBaseURL = `http://127.0.0.1:${mailPort}`;
// The demo rep signs in once (global-setup.ts); tests reuse the session.
export const DEMO_PASSWORD = 'demo password 1';
export const appState = path.join(__dirname, '.auth', 'app.json');
export const mailState = path.join(__dirname, '.auth', 'mail.json');

function serverEnv(dir: string, listen: number, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: `sqlite://${dir}/share.db`,
    MEDIA_DIR: `${dir}/media`,
    DEMO_MODE: 'true',
    DEMO_PASSWORD,
    LEPTOS_SITE_ADDR: `127.0.0.1:${listen}`,
    PUBLIC_URL: `http://127.0.0.1:${listen}`,
    LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? path.join(root, 'target', 'site'),
    MAX_UPLOAD_BYTES: '64000000',
    RUST_LOG: 'warn',
    ...extra,
  };
}
/** The first server's environment: what its CLI (`server user add`) needs to
 * work on the same database. */
export const appEnv = serverEnv(dataDir, port);

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  // Room for the first page of each browser context: it loads the whole
  // wasm bundle, which is slow while the other worker loads pages too.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // Two workers share the servers below; each test makes the recordings,
  // shares, reps and recipients it works on, so none sees another's data.
  // Files that are one story in order say so (describe.configure serial).
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    storageState: appState,
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
  webServer: [
    {
      // Mail stays in the dev mailbox (/dev/mailbox): no SMTP_URL.
      command: `rm -rf "${dataDir}" && exec "${serverBin}"`,
      cwd: root,
      url: `${baseURL}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: appEnv,
    },
    {
      command: `rm -rf "${path.dirname(maildir)}" && exec python3 server/tests/common/smtp_server.py ${smtpPort} "${maildir}"`,
      cwd: root,
      port: smtpPort,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `rm -rf "${mailDataDir}" && exec "${serverBin}"`,
      cwd: root,
      url: `${mailBaseURL}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: serverEnv(mailDataDir, mailPort, {
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      }),
    },
  ],
});
