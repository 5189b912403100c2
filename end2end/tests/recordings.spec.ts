import { test, expect } from '@playwright/test';
import { DEMO_TITLE, addRep, demoFile, hydrated, openApp, signedInAs, uniqueTag, uploadRecording, videoState } from './helpers';

test('the Recordings tab lists the demo recording and opens its page', async ({ page }) => {
  await openApp(page, '/recordings');
  const row = page.getByRole('row', { name: new RegExp(DEMO_TITLE) });
  await expect(row).toBeVisible();
  await expect(row.getByRole('cell', { name: '0:45' })).toBeVisible();
  await expect(row.getByRole('button', { name: 'Share' })).toBeVisible();

  await row.getByRole('link', { name: DEMO_TITLE }).click();
  await expect(page).toHaveURL(/\/recordings\/\d+$/);
  await expect(page.getByRole('heading', { level: 1, name: DEMO_TITLE })).toBeVisible();
});

test('the player plays, and seeking continues from the new spot', async ({ page }) => {
  await openApp(page, '/recordings');
  await page.getByRole('link', { name: DEMO_TITLE }).click();
  const video = page.locator('video');
  await expect(video).toBeVisible();

  // Focus the player and press play the way a keyboard user would.
  await video.focus();
  await video.evaluate((v: HTMLVideoElement) => v.play());
  await expect.poll(async () => (await videoState(page)).currentTime, { timeout: 15_000 }).toBeGreaterThan(1);
  expect((await videoState(page)).duration).toBeCloseTo(45, 0);

  await video.evaluate((v: HTMLVideoElement) => { v.currentTime = 30; });
  await expect.poll(async () => (await videoState(page)).currentTime, { timeout: 15_000 }).toBeGreaterThan(31);
  const after = await videoState(page);
  expect(after.paused).toBe(false);
  expect(after.currentTime).toBeLessThan(45);
});

// The Share window opens the rep's draft of a recording: each test opens it on
// a recording of its own, so no other test's draft shows up in it.
test('the Share dialog opens from the details page and Esc closes it', async ({ page, request }) => {
  const title = `Details page call ${uniqueTag()}`;
  await uploadRecording(request, title);
  await openApp(page, '/recordings');
  await page.getByRole('link', { name: title }).click();
  await hydrated(page);
  const share = page.getByRole('button', { name: 'Share' });
  await share.click();

  const dialog = page.getByRole('dialog', { name: 'Share Recording' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('textbox', { name: 'Title' })).toHaveValue(title);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(share).toBeFocused();
});

test('the Share dialog opens from the Recordings tab by keyboard and Cancel closes it', async ({ page, request }) => {
  const title = `Keyboard call ${uniqueTag()}`;
  await uploadRecording(request, title);
  await openApp(page, '/recordings');
  const share = page.getByRole('row', { name: title }).getByRole('button', { name: 'Share' });
  await share.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Share Recording' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(share).toBeFocused();
});

test('uploading a video shows progress and adds it to the list; a non-video is refused', async ({ page }) => {
  await openApp(page, '/recordings');
  // A slow uplink (256 KB/s), so the 1.2 MB upload takes long enough to watch.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024,
  });
  const title = `Uploaded in the browser ${uniqueTag()}`;
  await page.getByLabel('Video file (MP4, MOV, WebM, …)').setInputFiles(demoFile);
  await page.getByLabel('Title (optional)').fill(title);
  await page.getByRole('button', { name: 'Upload' }).click();
  const progress = page.getByRole('progressbar', { name: 'Upload progress' });
  await expect(progress).toBeVisible();
  await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect(page.getByRole('status')).toHaveText(
    `Uploaded “${title}”. It can be shared once it is processed.`,
    { timeout: 20_000 },
  );
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  await expect(page.getByRole('link', { name: title })).toBeVisible();

  await page.getByLabel('Video file (MP4, MOV, WebM, …)').setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('meeting notes\n'.repeat(2000)),
  });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByRole('alert')).toContainText('not a video');
  await expect(page.getByRole('link', { name: 'notes' })).toHaveCount(0);
});

test('deleting a recording asks first, then removes it and its video', async ({ page, request }) => {
  const title = `Call to delete ${uniqueTag()}`;
  const id = await uploadRecording(request, title);
  expect((await request.get(`/media/recordings/${id}`)).status()).toBe(200);

  await openApp(page, `/recordings/${id}`);
  const remove = page.getByRole('button', { name: 'Delete recording' });

  // Cancelling the confirmation changes nothing.
  page.once('dialog', (dialog) => dialog.dismiss());
  await remove.click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  expect((await request.get(`/media/recordings/${id}`)).status()).toBe(200);

  let question = '';
  page.once('dialog', (dialog) => {
    question = dialog.message();
    return dialog.accept();
  });
  await remove.click();
  await expect(page).toHaveURL(/\/recordings$/);
  expect(question).toContain('Every link to it stops working');
  await expect(page.getByRole('link', { name: DEMO_TITLE })).toBeVisible();
  await expect(page.getByRole('link', { name: title })).toHaveCount(0);
  expect((await request.get(`/media/recordings/${id}`)).status()).toBe(404);
  expect((await page.goto(`/recordings/${id}`))!.status()).toBe(404);
});

test('typing in Search recordings finds a recording by its title', async ({ browser }) => {
  test.setTimeout(120_000);
  const tag = uniqueTag();
  const context = await signedInAs(browser, addRep('Sam Search'));
  await uploadRecording(context.request, `Pipeline review ${tag}`);
  await uploadRecording(context.request, `Kickoff ${tag}`);
  const page = await context.newPage();
  await openApp(page, '/recordings');
  const rows = page.locator('table.recordings tbody tr');
  await expect(rows).toHaveCount(2);
  await page.getByLabel('Search recordings').pressSequentially('PIPELINE');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`Pipeline review ${tag}`);
  await page.getByLabel('Search recordings').fill('no such call');
  await expect(page.getByText('No recording has that in its title.')).toBeVisible();
  await context.close();
});

test('the Recordings tab loads only its own code; the Share window and the other pages load theirs on demand', async ({ page, request }) => {
  const title = `On demand ${uniqueTag()}`;
  await uploadRecording(request, title);
  const wasm: string[] = [];
  page.on('request', (r) => {
    const file = new URL(r.url()).pathname;
    if (file.endsWith('.wasm')) wasm.push(file);
  });
  await openApp(page, '/recordings');
  await page.waitForLoadState('networkidle');
  const loaded = (part: string) => wasm.some((file) => file.includes(part));
  // Code split off the first load: the Share window, and each other page's islands.
  expect(wasm.filter((file) => file.includes('/split_')), wasm.join(', ')).toEqual([]);

  // Pointing at Share starts loading the window, so the click opens it at once.
  const share = page.getByRole('row', { name: title }).getByRole('button', { name: 'Share' });
  await share.hover();
  await expect.poll(() => loaded('split_share_window')).toBe(true);
  await share.click();
  const dialog = page.getByRole('dialog', { name: 'Share Recording' });
  await expect(dialog.getByRole('textbox', { name: 'Title' })).toHaveValue(title);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect(loaded('split_shares_list'), wasm.join(', ')).toBe(false);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Shares' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Shares' })).toBeVisible();
  await hydrated(page);
  expect(loaded('split_shares_list'), wasm.join(', ')).toBe(true);
});
