import { test, expect, request as apiRequest } from '@playwright/test';
import { execFileSync } from 'child_process';
import { callApi, openApp, receivedMail, shareDialog, sql, uniqueTag, uploadRecording } from './helpers';
import { mailBaseURL, mailDataDir, maildir, mailState } from '../playwright.config';

const OPENED = 'Your Shared Recording Was Opened';

// Each test shares a recording of its own, to an address of its own: the
// mailboxes are the servers', shared by every test, so a test reads only the
// messages to its own recipient.

test('with no SMTP server, Send Email(s) lands in the dev mailbox and its link opens the viewer', async ({ page, request }) => {
  const tag = uniqueTag();
  const title = `Dev mailbox call ${tag}`;
  const address = `grace-${tag}@example.com`;
  await uploadRecording(request, title);
  await openApp(page, '/recordings');
  await page.getByRole('row', { name: title }).getByRole('button', { name: 'Share' }).click();
  const dialog = shareDialog(page);
  await dialog.getByRole('textbox', { name: "Recipient's Name" }).fill('Grace Hopper');
  await dialog.getByRole('textbox', { name: "Recipient's email" }).fill(address);
  await dialog.getByRole('button', { name: 'Add Recipient' }).click();
  const recipient = dialog.getByRole('listitem').filter({ hasText: address });
  await expect(recipient).toBeVisible();

  await dialog.getByRole('button', { name: 'Send Email(s)' }).click();
  // The worker may be done before the answer arrives; either line is right.
  await expect(dialog.getByRole('status')).toHaveText(/Sending to 1 recipient…|Sent to 1 recipient\./);
  // The status follows the worker without a reload.
  await expect(recipient.getByText('Email sent')).toBeVisible();
  await expect(dialog.getByRole('status')).toHaveText('Sent to 1 recipient.');
  // A second click emails nobody again.
  await dialog.getByRole('button', { name: 'Send Email(s)' }).click();
  await expect(dialog.getByRole('status')).toHaveText(/emailed already/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.goto('/dev/mailbox');
  const row = page.getByRole('row').filter({ hasText: address });
  await expect(row).toContainText(`Demo Rep shared a recording with you: ${title}`);
  await row.getByRole('link').click();
  await expect(page.getByRole('region', { name: 'Headers' })).toContainText(/Message-ID: <\w+@localhost>/);
  await expect(page.getByRole('region', { name: 'Plain-text part' })).toContainText('Watch the recording: http');
  // The HTML part, as a mail program would show it.
  const html = page.frameLocator('iframe[title="HTML part"]');
  await expect(html.getByRole('link', { name: 'Watch the recording' })).toBeVisible();
  // The recording's poster, through the recipient's link, linking to it.
  const poster = html.locator('a > img');
  await expect(poster).toHaveAttribute('src', /\/l\/\w+\/poster\.jpg$/);
  await expect.poll(() => poster.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await page.screenshot({ path: test.info().outputPath('share-email.png'), fullPage: true });

  const href = await page.getByRole('region', { name: 'Links' }).getByRole('link', { name: /\/l\// }).getAttribute('href');
  await page.goto(href!);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(page.getByText('Shared by Demo Rep')).toBeVisible();
});

test('opening a link notifies the sender once, with both time zones named', async ({ browser }) => {
  // A share from a rep in Berlin, through the server that sends real email.
  const tag = uniqueTag();
  const title = `Opened note call ${tag}`;
  const address = `ada-${tag}@example.com`;
  const api = await apiRequest.newContext({ baseURL: mailBaseURL, storageState: mailState });
  const call = (endpoint: string, data: object) => callApi(api, endpoint, data);
  const recordingId = await uploadRecording(api, title);
  const share = await call('share/open', { recording_id: recordingId, browser_time_zone: 'Europe/Berlin' });
  await call('share/recipient/add', { share_id: share.id, name: 'Ada Lovelace', email: address });
  expect((await call('share/send', { share_id: share.id })).queued).toBe(1);

  // This test's messages: the invitation to its recipient, and the notes to
  // the sender that name that recipient.
  const invitations = () => receivedMail(maildir).filter((m) => m.to === address);
  const notes = () => receivedMail(maildir).filter((m) => m.subject === OPENED && m.text.includes(`(${address})`));
  await expect.poll(() => invitations().length).toBe(1);
  const [invitation] = invitations();
  expect(invitation.to).toBe(address);
  const link = invitation.text.match(/https?:\/\/\S+\/l\/[A-Za-z0-9]+/)![0];
  // The share's own rows only.
  const ofThisShare = `recipient_id IN (SELECT id FROM recipients WHERE share_id = ${Number(share.id)})`;
  const opens = () => (sql(`SELECT COALESCE(SUM(open_count), 0) FROM opens WHERE ${ofThisShare}`, mailDataDir)[0] as number[])[0];

  // The recipient opens it in New York.
  // The recipient is nobody signed in here.
  const context = await browser.newContext({
    timezoneId: 'America/New_York',
    storageState: { cookies: [], origins: [] },
  });
  const viewer = await context.newPage();
  await viewer.goto(link);
  await expect(viewer.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect.poll(() => notes().length).toBe(1);
  const [note] = notes();
  expect(note.to).toBe('demo@example.com');
  expect(note.text).toContain(`Ada Lovelace (${address}) opened`);
  expect(note.text).toMatch(/Their time: .* E[SD]T \(America\/New_York\)/);
  expect(note.text).toMatch(/Your time: +.* CES?T \(Europe\/Berlin\)/);

  // Opened again at once: recorded, not notified.
  await viewer.reload();
  await expect.poll(opens).toBe(2);
  // A link scanner's plain GET is not an open.
  execFileSync('curl', ['-s', '-o', '/dev/null', link]);
  expect(opens()).toBe(2);
  // Nothing left to send, and still one notification.
  await expect.poll(() => sql(`SELECT COUNT(*) FROM jobs j JOIN emails e ON j.queue = 'email' AND j.subject_id = e.id
    WHERE j.status <> 'done' AND e.${ofThisShare}`, mailDataDir)[0]).toEqual([0]);
  expect(notes()).toHaveLength(1);
  await context.close();
  await api.dispose();
});
