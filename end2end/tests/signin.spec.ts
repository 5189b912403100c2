import { test, expect, request as apiRequest } from '@playwright/test';
import { addRep, callApi, hydrated, shareDialog, signedInAs, uniqueTag, uploadRecording } from './helpers';
import { DEMO_PASSWORD, appState, baseURL } from '../playwright.config';

// A browser with no session.
test.use({ storageState: { cookies: [], origins: [] } });

test('a rep signs in, shares, signs out, and the share is out of reach again', async ({ page }) => {
  // A recording of the test's own to share (uploaded with the demo rep's
  // session of global-setup.ts; this browser has none).
  const title = `Signed in call ${uniqueTag()}`;
  const api = await apiRequest.newContext({ baseURL, storageState: appState });
  const id = await uploadRecording(api, title);
  await api.dispose();

  await page.goto(`/recordings/${id}`);
  await expect(page).toHaveURL(new RegExp(`/signin\\?next=%2Frecordings%2F${id}$`));
  await hydrated(page);

  await page.getByLabel('Email').fill('demo@example.com');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');

  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/recordings/${id}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  await hydrated(page);

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
  await page.goto(`/recordings/${id}`);
  await expect(page).toHaveURL(/\/signin\?next=/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // The share's server functions refuse the signed-out browser as well.
  const refused = await page.request.post('/api/share/open', {
    data: { recording_id: id, browser_time_zone: 'UTC' },
  });
  expect(refused.status()).toBe(401);
});

test('without scripts, sign-in and the forms come back to their own page with the message by the field', async ({ browser }) => {
  // A rep of the test's own (it posts to Settings), with a share to change
  // the expiration of.
  const rep = addRep('Noel Rep');
  const setup = await signedInAs(browser, rep);
  const title = `No scripts call ${uniqueTag()}`;
  const recordingId = await uploadRecording(setup.request, title);
  const share = await callApi(setup.request, 'share/open', { recording_id: recordingId, browser_time_zone: 'UTC' });
  await callApi(setup.request, 'share/recipient/add', { share_id: share.id, name: 'Noel Script', email: 'noel@example.com' });
  await callApi(setup.request, 'share/links', { share_id: share.id });
  await setup.close();

  const context = await browser.newContext({ javaScriptEnabled: false, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const path = () => new URL(page.url()).pathname;

  await page.goto(`/shares/${share.id}`);
  await expect(page).toHaveURL(new RegExp(`/signin\\?next=%2Fshares%2F${share.id}$`));
  await page.getByLabel('Email').fill(rep.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');
  expect(path()).toBe('/signin');
  await expect(page.getByLabel('Password')).toBeVisible();

  await page.getByLabel('Email').fill(rep.email);
  await page.getByLabel('Password').fill(rep.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  expect(path()).toBe(`/shares/${share.id}`);

  // The Shares page's date: a past day ends the links.
  await page.getByLabel('Links work through').fill('2026-01-15');
  await page.getByRole('button', { name: 'Change expiration' }).click();
  await expect(page.getByRole('status')).toHaveText('Expiration changed.');
  expect(path()).toBe(`/shares/${share.id}`);
  await expect(page.locator('.meta')).toContainText('Expired after Thu, Jan 15, 2026');
  await expect(page.getByLabel('Links work through')).toHaveValue('2026-01-15');

  // Settings: refusals come back by their field, and nothing is changed.
  await page.goto('/settings');
  const name = page.getByLabel('Name', { exact: true });
  const before = await name.inputValue();
  expect(before).toBe(rep.name);
  await name.fill('   ');
  await page.getByRole('button', { name: 'Save' }).click();
  expect(path()).toBe('/settings');
  await expect(page.locator('#settings-name-error')).toHaveText('Enter your name.');
  await expect(name).toHaveValue(before);
  await page.getByLabel('Current password').fill('not it at all');
  await page.getByLabel('New password').fill('another password 3');
  await page.getByRole('button', { name: 'Change password' }).click();
  expect(path()).toBe('/settings');
  await expect(page.locator('#settings-current-error')).toHaveText('That is not your current password.');
  await context.close();
});
