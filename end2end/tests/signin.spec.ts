import { test, expect } from '@playwright/test';
import { DEMO_TITLE } from './helpers';
import { DEMO_PASSWORD } from '../playwright.config';

// A browser with no session.
test.use({ storageState: { cookies: [], origins: [] } });

test('a rep signs in, reaches their recording, signs out, and it is out of reach again', async ({ page }) => {
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

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto('/recordings/1');
  await expect(page).toHaveURL(/\/signin\?next=/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});
