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
