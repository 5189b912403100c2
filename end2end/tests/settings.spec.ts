import { test, expect } from '@playwright/test';
import { openApp, sql } from './helpers';

// The other files share the demo rep: give it back its name and no zone.
test.afterAll(() => {
  sql("UPDATE reps SET name = 'Demo Rep', time_zone = NULL WHERE email = 'demo@example.com'");
});

test('a rep changes their name and time zone on the Settings page', async ({ page }) => {
  await openApp(page, '/recordings');
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await expect(page.getByText('Signed in as demo@example.com')).toBeVisible();

  const name = page.getByLabel('Name', { exact: true });
  await name.fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toBeVisible();

  await name.fill('Dana Demo');
  await page.getByLabel('Time zone').selectOption('Europe/Berlin');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();

  await page.reload();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Dana Demo');
  await expect(page.getByLabel('Time zone')).toHaveValue('Europe/Berlin');

  // A wrong current password is refused beside its field.
  await page.getByLabel('Current password').fill('not it at all');
  await page.getByLabel('New password').fill('another password 3');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('That is not your current password.')).toBeVisible();
});
