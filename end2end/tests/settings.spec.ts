import { test, expect } from '@playwright/test';
import { addRep, openApp, signedInAs } from './helpers';

test('a rep changes their name and time zone on the Settings page', async ({ browser }) => {
  // A rep of this test's own: the other tests keep the demo rep as it is.
  const rep = addRep('Dana Settings');
  const context = await signedInAs(browser, rep);
  const page = await context.newPage();
  await openApp(page, '/recordings');
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await expect(page.getByText(`Signed in as ${rep.email}`)).toBeVisible();

  const name = page.getByLabel('Name', { exact: true });
  await expect(name).toHaveValue('Dana Settings');
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
  await context.close();
});

test('a rep changes their password, then signs in with the new one only', async ({ browser }) => {
  const rep = addRep('Pat Password');
  const context = await signedInAs(browser, rep);
  const page = await context.newPage();
  await openApp(page, '/settings');
  await page.getByLabel('Current password').fill(rep.password);
  await page.getByLabel('New password').fill('a new password 4');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password changed.')).toBeVisible();
  await expect(page.getByLabel('Current password')).toHaveValue('');
  await context.close();

  const fresh = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const signin = await fresh.newPage();
  await openApp(signin, '/signin');
  await signin.getByLabel('Email').fill(rep.email);
  await signin.getByLabel('Password').fill(rep.password);
  await signin.getByRole('button', { name: 'Sign in' }).click();
  await expect(signin.getByRole('alert')).toHaveText('Wrong email or password.');
  await signin.getByLabel('Password').fill('a new password 4');
  await signin.getByRole('button', { name: 'Sign in' }).click();
  await expect(signin).toHaveURL(/\/recordings$/);
  await fresh.close();
});
