import { expect, request as apiRequest, test } from '@playwright/test';
import { mailBaseURL, maildir, mailState } from '../playwright.config';
import { addRep, callApi, hydrated, openApp, playStretch, receivedMail, shareDialog, signedInAs, uniqueTag, uploadRecording } from './helpers';

// Each test shares a recording of its own; titles and the address whose
// emails are counted carry a random tag, so they are the test's own.

test('the Shares page shows an open and what was watched as it happens, and controls the link', async ({ browser }) => {
  test.setTimeout(120_000);
  const tag = uniqueTag();
  const RECIPIENT = `grace-${tag}@example.com`;
  // A share sent through the server that sends real email.
  const api = await apiRequest.newContext({ baseURL: mailBaseURL, storageState: mailState });
  const call = (endpoint: string, data: object) => callApi(api, endpoint, data);
  const recordingId = await uploadRecording(api, `Watched call ${tag}`);
  const share = await call('share/open', { recording_id: recordingId, browser_time_zone: 'UTC' });
  await call('share/recipient/add', { share_id: share.id, name: 'Grace Hopper', email: RECIPIENT });
  expect((await call('share/send', { share_id: share.id })).queued).toBe(1);
  const toGrace = () => receivedMail(maildir).filter((m) => m.to === RECIPIENT);
  await expect.poll(() => toGrace().length).toBe(1);
  const link = toGrace()[0].text.match(/https?:\/\/\S+\/l\/[A-Za-z0-9]+/)![0];

  // The rep watches the share's page.
  const repContext = await browser.newContext({ baseURL: mailBaseURL, storageState: mailState });
  const rep = await repContext.newPage();
  await rep.goto(`/shares/${share.id}`);
  await hydrated(rep);
  const row = rep.locator(`tr[data-recipient="${RECIPIENT}"]`);
  await expect(row.locator('.opens')).toHaveText('Not opened');

  // The recipient watches 0:00–0:10 and 0:20–0:30.
  const recipientContext = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const viewer = await recipientContext.newPage();
  await viewer.goto(link);
  await playStretch(viewer, 0, 10);
  await playStretch(viewer, 20, 30);

  // Without a reload, the rep's page shows the open and about 44 % watched
  // (20 s of 45 s).
  await expect(row.locator('.opens')).toHaveText(/^1 \(/, { timeout: 15_000 });
  await expect(row.locator('.percent')).toHaveText(/^4[3-6]%$/, { timeout: 15_000 });
  await expect(row.locator('.watch-bar__seen')).toHaveCount(2);

  // Resend, by keyboard: the focus survives the page's refreshes; a second
  // email arrives at the SMTP server, with the same link.
  const resend = row.getByRole('button', { name: 'Resend' });
  await resend.focus();
  for (let i = 0; i < 2; i++) {
    await rep.waitForResponse((r) => r.url().endsWith('/api/shares/activity') && r.ok());
  }
  await expect(resend).toBeFocused();
  await rep.keyboard.press('Enter');
  await expect.poll(() => toGrace().length).toBe(2);
  expect(toGrace()[1].text).toContain(link);

  // Revoke: the recipient's next video request and page load fail.
  await row.getByRole('button', { name: 'Revoke link' }).click();
  await expect(row.getByText('Link revoked')).toBeVisible();
  const videoStatus = await viewer.evaluate(async () => {
    const video = document.querySelector('video')!;
    return (await fetch(video.currentSrc, { headers: { Range: 'bytes=0-99' } })).status;
  });
  expect(videoStatus).toBe(404);
  const reloaded = await viewer.reload();
  expect(reloaded!.status()).toBe(404);

  await recipientContext.close();
  await repContext.close();
  await api.dispose();
});

test('Change expiration to a past day ends the link (410); a refresh keeps the day being typed, and the focus', async ({ page, request }) => {
  const call = (endpoint: string, data: object) => callApi(request, endpoint, data);
  const title = `Expiring soon ${uniqueTag()}`;
  const recordingId = await uploadRecording(request, 'Pricing call');
  const share = await call('share/open', { recording_id: recordingId, browser_time_zone: 'UTC' });
  await call('share/title', { share_id: share.id, title });
  await call('share/recipient/add', { share_id: share.id, name: 'Alan Turing', email: 'alan@example.com' });
  await call('share/send', { share_id: share.id });
  const activity = await call('shares/activity', { share_id: share.id });
  const link = new URL(activity.recipients[0].link).pathname;
  expect((await request.get(link)).status()).toBe(200);

  await page.goto(`/shares/${share.id}`);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  const lastDay = page.getByLabel('Links work through');
  await expect(lastDay).toHaveValue(activity.share.last_day);

  // The page refreshes every few seconds; what the rep is typing stays.
  await lastDay.fill('2026-01-15');
  // Two refreshes: the first has surely been rendered once the second arrives.
  for (let i = 0; i < 2; i++) {
    await page.waitForResponse((r) => r.url().endsWith('/api/shares/activity') && r.ok());
  }
  await expect(lastDay).toHaveValue('2026-01-15');
  await expect(lastDay).toBeFocused();

  await page.getByRole('button', { name: 'Change expiration' }).click();
  await expect(page.getByRole('status')).toHaveText('Expiration changed. Expired after Thu, Jan 15, 2026.');
  await expect(page.locator('.meta')).toContainText('Expired after Thu, Jan 15, 2026');
  expect((await request.get(link)).status()).toBe(410);
  const recipient = await page.context().browser()!.newContext({ storageState: { cookies: [], origins: [] } });
  const viewer = await recipient.newPage();
  expect((await viewer.goto(`${new URL(page.url()).origin}${link}`))!.status()).toBe(410);
  await recipient.close();

  // The list shows it expired too.
  await page.getByRole('link', { name: 'Shares' }).first().click();
  const row = page.getByRole('row', { name: title });
  await expect(row).toContainText('Expired after Thu, Jan 15, 2026');
});

test('a share made with Generate Links only is on the Shares page, with its open and what was watched', async ({ page, request, browser }) => {
  test.setTimeout(90_000);
  const title = `Links only call ${uniqueTag()}`;
  const recordingId = await uploadRecording(request, title);
  await openApp(page, `/recordings/${recordingId}`);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = shareDialog(page);
  await expect(dialog.getByRole('textbox', { name: 'Title' })).toHaveValue(title);
  await dialog.getByRole('textbox', { name: "Recipient's Name" }).fill('Lin Only');
  await dialog.getByRole('textbox', { name: "Recipient's email" }).fill('lin@example.com');
  await dialog.getByRole('button', { name: 'Add Recipient' }).click();
  await dialog.getByRole('button', { name: 'Generate Links' }).click();
  const shown = dialog.getByRole('listitem').filter({ hasText: 'lin@example.com' }).getByRole('link');
  await expect(shown).toBeVisible();
  const link = (await shown.textContent())!;
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // No email went out, yet the share is listed, and its page has the recipient.
  await page.getByRole('link', { name: 'Shares' }).first().click();
  await page.getByRole('row', { name: title }).getByRole('link', { name: title }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await hydrated(page);
  const row = page.locator('tr[data-recipient="lin@example.com"]');
  await expect(row).toContainText('Link only (no email)');
  await expect(row.locator('.opens')).toHaveText('Not opened');

  // The recipient opens the link they were given and watches 0:00–0:10.
  const recipient = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const viewer = await recipient.newPage();
  expect((await viewer.goto(link))!.status()).toBe(200);
  await playStretch(viewer, 0, 10);

  // Without a reload: the open, and about 22 % watched (10 s of 45 s).
  await expect(row.locator('.opens')).toHaveText(/^1 \(/, { timeout: 15_000 });
  await expect(row.locator('.percent')).toHaveText(/^2[1-4]%$/, { timeout: 15_000 });
  await expect(row.getByRole('button', { name: 'Revoke link' })).toBeEnabled();
  // They had no email from us; the rep can still send them one.
  await expect(row.getByRole('button', { name: 'Send email' })).toBeEnabled();
  await page.screenshot({ path: test.info().outputPath('links-only-share.png'), fullPage: true });
  await recipient.close();
});

test('a long Shares page comes in pages of 50, and typing a recipient finds their share', async ({ browser }) => {
  test.setTimeout(180_000);
  const tag = uniqueTag();
  const rep = addRep('Lee Longlist');
  const context = await signedInAs(browser, rep);
  const call = (endpoint: string, data: object) => callApi(context.request, endpoint, data);
  const recordingId = await uploadRecording(context.request, `Long list call ${tag}`);
  // 51 sent shares, "Deal 1" the oldest; each to one buyer of its own.
  for (let n = 1; n <= 51; n++) {
    const share = await call('share/open', { recording_id: recordingId, browser_time_zone: 'UTC' });
    await call('share/title', { share_id: share.id, title: `Deal ${n}` });
    await call('share/recipient/add', { share_id: share.id, name: `Buyer ${n}`, email: `buyer${n}-${tag}@example.com` });
    await call('share/links', { share_id: share.id });
  }

  const page = await context.newPage();
  await openApp(page, '/shares');
  const rows = page.locator('table.shares tbody tr');
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText('Deal 51');
  await page.getByRole('link', { name: 'Older' }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Deal 1');
  await expect(page.getByRole('link', { name: 'Older' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Newest' }).click();
  await expect(rows).toHaveCount(50);

  // Typing searches at once: a recipient's address, then a share's title.
  const search = page.getByLabel('Search shares');
  await search.pressSequentially(`buyer7-${tag}`);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Deal 7');
  await expect(page).toHaveURL(new RegExp(`search=buyer7-${tag}`));
  await search.fill('deal 5');
  // "Deal 5" and "Deal 50", "Deal 51".
  await expect(rows).toHaveCount(3);
  await context.close();

  // Before the app has loaded (or without scripts), the box is a plain form.
  const plain = await signedInAs(browser, rep, { javaScriptEnabled: false });
  const noScripts = await plain.newPage();
  await noScripts.goto('/shares');
  await noScripts.getByLabel('Search shares').fill(`buyer12-${tag}`);
  await noScripts.getByRole('button', { name: 'Search' }).click();
  await expect(noScripts).toHaveURL(new RegExp(`/shares\\?search=buyer12-${tag}`));
  await expect(noScripts.locator('table.shares tbody tr')).toHaveCount(1);
  await expect(noScripts.locator('table.shares tbody tr')).toContainText('Deal 12');
  await plain.close();
});
