import { execFileSync } from 'child_process';
import * as path from 'path';
import { expect, Page } from '@playwright/test';

export const DEMO_TITLE = 'Demo recording: product walkthrough';

/** Opens `path` and waits until the app has hydrated (event handlers attached). */
export async function openApp(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('[data-hydrated="true"]')).toBeAttached();
}

/** The video's state, read in the page. */
export function videoState(page: Page) {
  return page.locator('video').evaluate((v: HTMLVideoElement) => ({
    currentTime: v.currentTime,
    paused: v.paused,
    duration: v.duration,
  }));
}

/** Runs SQL against the test server's database (python3's sqlite3: no extra package). */
export function sql(statement: string) {
  const db = path.join(__dirname, '..', '.data', 'share.db');
  execFileSync('python3', [
    '-c',
    'import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute(sys.argv[2])\nc.commit()',
    db,
    statement,
  ]);
}

/** The open Share Recording window. */
export function shareDialog(page: Page) {
  return page.getByRole('dialog', { name: 'Share Recording' });
}
