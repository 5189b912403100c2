import { test, expect } from '@playwright/test';
import { DEMO_TITLE, shareDialog } from './helpers';
import { DEMO_PASSWORD } from '../playwright.config';

// A browser with no session.
test.use({ storageState: { cookies: [], origins: [] } });

test('a rep signs in, shares, signs out, and the share is out of reach again', async ({ page }) => {
  await page.goto('/recordings/1');
  await expect(page).toHaveURL(/\/signin\?next=%2Frecordings%2F1$/);
  await expect(page.locator('[data-hydrated="true"]')).toBeAttached();

  await page.getByLabel('Email').fill('demo@example.com');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');

  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/recordings\/1$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(DEMO_TITLE);
  await expect(page.locator('[data-hydrated="true"]')).toBeAttached();

  // Share: the window opens on the rep's draft and saves a recipient.
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = shareDialog(page);
  await dialog.getByRole('textbox', { name: "Recipient's Name" }).fill('Signed In');
  await dialog.getByRole('textbox', { name: "Recipient's email" }).fill('signed-in@example.com');
  await dialog.getByRole('button', { name: 'Add Recipient' }).click();
  await expect(dialog.getByRole('listitem').filter({ hasText: 'signed-in@example.com' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto('/recordings/1');
  await expect(page).toHaveURL(/\/signin\?next=/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // The share's server functions refuse the signed-out browser as well.
  const refused = await page.request.post('/api/share/open', {
    data: { recording_id: 1, browser_time_zone: 'UTC' },
  });
  expect(refused.status()).toBe(401);
});
