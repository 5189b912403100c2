import { test, expect, Page, Locator } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { appState, baseURL } from '../playwright.config';
import { openApp, shareDialog, sql, uniqueTag, uploadRecording, videoState } from './helpers';

// One story, in order, over a recording of its own: the draft it builds is
// what later steps check, and no other test opens it.
test.describe.configure({ mode: 'serial' });

const tag = uniqueTag();
const RECORDING = `Share window walkthrough ${tag}`;
const SHARE_TITLE = `Q3 review for <ACME> ${tag}`;
const links: string[] = [];

test.beforeAll(async ({ playwright }) => {
  const api = await playwright.request.newContext({ baseURL, storageState: appState });
  await uploadRecording(api, RECORDING);
  await api.dispose();
});

async function openShareFromList(page: Page): Promise<Locator> {
  await openApp(page, '/recordings');
  await page.getByRole('row', { name: RECORDING }).getByRole('button', { name: 'Share' }).click();
  const dialog = shareDialog(page);
  await expect(dialog.getByRole('textbox', { name: 'Title' })).toBeVisible();
  return dialog;
}

function comment(dialog: Locator, text: string) {
  return dialog.getByRole('listitem').filter({ hasText: text });
}

test('a rep builds a share: title, expiration, comments, recipients', async ({ page }) => {
  const dialog = await openShareFromList(page);
  const send = dialog.getByRole('button', { name: 'Send Email(s)' });
  const generate = dialog.getByRole('button', { name: 'Generate Links' });
  await expect(send).toBeDisabled();
  await expect(generate).toBeDisabled();

  // Title: defaults to the recording's, saved on change, only-spaces refused.
  const title = dialog.getByRole('textbox', { name: 'Title' });
  await expect(title).toHaveValue(RECORDING);
  await title.fill('   ');
  await title.press('Tab');
  await expect(dialog.getByText('Enter a title.')).toBeVisible();
  await title.fill(SHARE_TITLE);
  await title.press('Tab');
  await expect(dialog.getByText('Enter a title.')).toBeHidden();

  // Expiration: 60 days from a chosen start date. The days are the browser's
  // (the zone of a new share until the rep picks one), so they are counted in
  // the page, on its calendar.
  const { inAWeek, fromToday, fromInAWeek } = await page.evaluate(() => {
    const today = new Date();
    const day = (offset: number) => new Date(today.getFullYear(), today.getMonth(), today.getDate() + offset);
    const words = (date: Date) => date.toLocaleDateString('en-US', { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });
    const start = day(7);
    const pad = (n: number) => String(n).padStart(2, '0');
    return {
      inAWeek: `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}`,
      fromToday: words(day(59)),
      fromInAWeek: words(day(7 + 59)),
    };
  });
  // As a quick rep does: the start date right after the preset, before the
  // preset's save has come back. Neither choice is lost.
  await dialog.getByRole('combobox', { name: 'Expiration' }).selectOption({ label: '60 Days' });
  await dialog.getByLabel('Start date').fill(inAWeek);
  await expect(dialog.getByText(`Link works until ${fromInAWeek}`)).toBeVisible();
  await expect(dialog.getByRole('combobox', { name: 'Expiration' })).toHaveValue('60d');
  await expect(dialog.getByText(`Link works until ${fromToday}`)).toHaveCount(0);

  // A comment stamped near 0:10 by clicking the timeline, and an unstamped one.
  const slider = dialog.getByRole('slider', { name: 'Timeline' });
  const box = (await slider.boundingBox())!;
  await page.mouse.click(box.x + (box.width * 10) / 45, box.y + box.height / 2);
  await expect(dialog.getByText(/Stamped at 0:(09|10|11)/)).toBeVisible();
  const input = dialog.getByRole('textbox', { name: 'Comment', exact: true });
  await input.fill('Pricing starts here');
  await input.press('Enter');
  await expect(comment(dialog, 'Pricing starts here')).toContainText(/0:(09|10|11)/);
  await input.fill('Thanks for your time');
  await input.press('Enter');
  await expect(comment(dialog, 'Thanks for your time')).toBeVisible();
  await input.fill('A note to delete');
  await input.press('Enter');

  // Unstamped comments come first, then timeline order; markers on the timeline.
  await expect(dialog.locator('.comment__body')).toHaveText(['Thanks for your time', 'A note to delete', 'Pricing starts here']);
  await expect(dialog.locator('.timeline__marker')).toHaveCount(1);

  // Clicking a stamped comment seeks the player there.
  await comment(dialog, 'Pricing starts here').getByRole('button', { name: /Pricing starts here/ }).click();
  await expect.poll(async () => (await videoState(page)).currentTime).toBeGreaterThanOrEqual(9);

  // Edit one, delete one, through the "More actions" menu.
  await comment(dialog, 'Thanks for your time').getByRole('button', { name: 'More actions' }).click();
  await dialog.getByRole('menuitem', { name: 'Edit Comment' }).click();
  const edit = dialog.getByRole('textbox', { name: 'Edit comment' });
  await edit.fill('Thanks for your time, <b>team</b>');
  await edit.press('Enter');
  await expect(comment(dialog, 'Thanks for your time, <b>team</b>')).toBeVisible();
  await comment(dialog, 'A note to delete').getByRole('button', { name: 'More actions' }).click();
  await dialog.getByRole('menuitem', { name: 'Delete Comment' }).click();
  await expect(comment(dialog, 'A note to delete')).toHaveCount(0);

  // Recipients: two good ones, a bad email and a duplicate refused.
  const name = dialog.getByRole('textbox', { name: "Recipient's Name" });
  const email = dialog.getByRole('textbox', { name: "Recipient's email" });
  const add = dialog.getByRole('button', { name: 'Add Recipient' });
  await name.fill('Ada Lovelace');
  await email.fill('ada@example.com');
  await add.click();
  await expect(dialog.getByRole('listitem').filter({ hasText: 'ada@example.com' })).toBeVisible();
  await expect(generate).toBeEnabled();
  await name.fill('Bob Builder');
  await email.fill('bob@example');
  await add.click();
  await expect(dialog.getByText('That is not a valid email address.')).toBeVisible();
  await email.fill('ADA@example.com');
  await add.click();
  await expect(dialog.getByText('This recipient is already on the list.')).toBeVisible();
  await email.fill('bob@example.com');
  await add.click();
  await expect(dialog.getByRole('listitem').filter({ hasText: 'bob@example.com' })).toBeVisible();
  await expect(dialog.getByText('This recipient is already on the list.')).toBeHidden();
});

test('the draft is kept: Cancel, reload and reopen show it as it was', async ({ page }) => {
  let dialog = await openShareFromList(page);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await page.reload();
  dialog = await openShareFromList(page);
  await expect(dialog.getByRole('textbox', { name: 'Title' })).toHaveValue(SHARE_TITLE);
  await expect(dialog.getByRole('combobox', { name: 'Expiration' })).toHaveValue('60d');
  await expect(dialog.locator('.comment__body')).toHaveText(['Thanks for your time, <b>team</b>', 'Pricing starts here']);
  await expect(dialog.getByRole('listitem').filter({ hasText: 'ada@example.com' })).toBeVisible();
  await expect(dialog.getByRole('listitem').filter({ hasText: 'bob@example.com' })).toBeVisible();
});

test('Generate Links copies a link per recipient, and the window starts a new share after', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  let dialog = await openShareFromList(page);
  const generate = dialog.getByRole('button', { name: 'Generate Links' });
  // Generate Links: one line per recipient on the clipboard, links shown beside them.
  await generate.click();
  await expect(dialog.getByRole('status')).toHaveText('Links copied to the clipboard.');
  const clipboard: string = await page.evaluate(() => navigator.clipboard.readText());
  const lines = clipboard.split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^Ada Lovelace <ada@example\.com>: http:\/\/\S+\/l\/[A-Za-z0-9]{16}$/);
  expect(lines[1]).toMatch(/^Bob Builder <bob@example\.com>: http:\/\/\S+\/l\/[A-Za-z0-9]{16}$/);
  for (const line of lines) links.push(new URL(line.split(': ')[1]).pathname);
  await expect(dialog.getByRole('link', { name: new RegExp(links[0]) })).toBeVisible();
  // The confirmation goes away by itself.
  await expect(dialog.getByRole('status')).toBeEmpty({ timeout: 10_000 });

  // Generating again keeps each recipient's link.
  await generate.click();
  await expect(dialog.getByRole('status')).toHaveText('Links copied to the clipboard.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clipboard);

  // The links are out: the share is on the Shares page now, and the window
  // opens a new draft of the recording.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  dialog = await openShareFromList(page);
  await expect(dialog.getByRole('textbox', { name: 'Title' })).toHaveValue(RECORDING);
  await expect(dialog.getByText('ada@example.com')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('link', { name: 'Shares' }).first().click();
  await expect(page.getByRole('row', { name: SHARE_TITLE })).toBeVisible();
});

test('each link opens the recording for its recipient', async ({ browser }) => {
  for (const link of links) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(link);
    expect(response!.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(SHARE_TITLE);
    await expect(page.getByText('Demo Rep')).toBeVisible();
    await expect(page.getByText('Thanks for your time, <b>team</b>')).toBeVisible();
    await expect(page.getByText(/0:(09|10|11)/)).toBeVisible();
    const video = page.locator('video');
    await video.evaluate((v: HTMLVideoElement) => v.play());
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeGreaterThan(0.5);
    // Clicking the timed comment plays from its moment.
    await page.getByRole('button', { name: /Pricing starts here/ }).click();
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeGreaterThanOrEqual(9);
    await context.close();
  }
});

test('removing a recipient revokes their link; an expired link says so', async ({ page, request }) => {
  const dialog = await openShareFromList(page);
  const name = dialog.getByRole('textbox', { name: "Recipient's Name" });
  const email = dialog.getByRole('textbox', { name: "Recipient's email" });
  for (const [who, address] of [['Cy Young', 'cy@example.com'], ['Di Prince', 'di@example.com']]) {
    await name.fill(who);
    await email.fill(address);
    await dialog.getByRole('button', { name: 'Add Recipient' }).click();
    await expect(dialog.getByRole('listitem').filter({ hasText: address })).toBeVisible();
  }
  await dialog.getByRole('button', { name: 'Generate Links' }).click();
  const linkOf = async (address: string) => {
    const item = dialog.getByRole('listitem').filter({ hasText: address });
    return new URL((await item.getByRole('link').textContent())!).pathname;
  };
  await expect(dialog.getByRole('listitem').filter({ hasText: 'cy@example.com' }).getByRole('link')).toBeVisible();
  const [cy, di] = [await linkOf('cy@example.com'), await linkOf('di@example.com')];

  const item = dialog.getByRole('listitem').filter({ hasText: 'cy@example.com' });
  await item.getByRole('button', { name: 'More actions' }).click();
  await dialog.getByRole('menuitem', { name: 'Remove Recipient' }).click();
  await expect(item).toHaveCount(0);

  const removed = await request.get(cy);
  expect(removed.status()).toBe(404);
  expect(await removed.text()).toContain('This link is not available');
  expect((await request.get(di)).status()).toBe(200);

  // A last day that has passed: the window refuses one, the Shares page's
  // Change expiration takes it (its form post, for this share only).
  const code = di.split('/').pop();
  const [[shareId]] = sql(`SELECT r.share_id FROM recipients r JOIN links l ON l.recipient_id = r.id WHERE l.code = '${code}'`);
  const changed = await request.post('/api/shares/expiration', { form: { share_id: String(shareId), end_date: '2020-01-31' } });
  expect(changed.status(), await changed.text()).toBe(200);
  const expired = await request.get(di);
  expect(expired.status()).toBe(410);
  const text = await expired.text();
  expect(text).toContain('This recording link has expired');
  expect(text).not.toContain('Di Prince');
  expect((await request.get(links[0])).status()).toBe(200);
});

test('the window has no serious accessibility violations', async ({ page }) => {
  await openShareFromList(page);
  const results = await new AxeBuilder({ page }).include('dialog').analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
});

test('the whole window works by keyboard', async ({ page }) => {
  await openApp(page, '/recordings');
  const share = page.getByRole('row', { name: RECORDING }).getByRole('button', { name: 'Share' });
  await share.focus();
  await page.keyboard.press('Enter');
  const dialog = shareDialog(page);
  const title = dialog.getByRole('textbox', { name: 'Title' });
  await expect(title).toBeVisible();

  // Tab order reaches every control, starting inside the window.
  await expect(title).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('combobox', { name: 'Expiration' })).toBeFocused();

  // Pick a time with the arrow keys, then write a comment and press Enter.
  const slider = dialog.getByRole('slider', { name: 'Timeline' });
  await slider.focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await expect(dialog.getByText('Stamped at 0:05')).toBeVisible();
  await dialog.getByRole('textbox', { name: 'Comment', exact: true }).focus();
  await page.keyboard.type('Keyboard comment');
  await page.keyboard.press('Enter');
  const item = comment(dialog, 'Keyboard comment');
  await expect(item).toContainText('0:05');

  // Its menu by keyboard: open, arrow to Delete, Esc closes the menu only.
  await item.getByRole('button', { name: 'More actions' }).focus();
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('menuitem', { name: 'Edit Comment' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog.getByRole('menu')).toHaveCount(0);
  await expect(dialog).toBeVisible();
  await expect(item.getByRole('button', { name: 'More actions' })).toBeFocused();
  await page.keyboard.press('Enter');
  // The menu takes focus once it is shown; arrow keys act from there.
  await expect(dialog.getByRole('menuitem', { name: 'Edit Comment' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(dialog.getByRole('menuitem', { name: 'Delete Comment' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(item).toHaveCount(0);

  // A recipient by keyboard: type, Tab, type, Enter submits.
  await dialog.getByRole('textbox', { name: "Recipient's Name" }).focus();
  await page.keyboard.type('Kay Board');
  await page.keyboard.press('Tab');
  await page.keyboard.type('kay@example.com');
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('listitem').filter({ hasText: 'kay@example.com' })).toBeVisible();

  // Esc closes the window and focus returns to the Share button.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(share).toBeFocused();
});
