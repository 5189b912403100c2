import { expect, request as apiRequest, test } from '@playwright/test';
import { mailBaseURL, mailDataDir, maildir, mailState } from '../playwright.config';
import { receivedMail, sql } from './helpers';

const RECIPIENT = 'grace@example.com';

test('the Shares page shows an open and what was watched as it happens, and controls the link', async ({ browser }) => {
  test.setTimeout(120_000);
  // A share sent through the server that sends real email.
  const api = await apiRequest.newContext({ baseURL: mailBaseURL, storageState: mailState });
  const call = async (endpoint: string, data: object) => {
    const response = await api.post(`/api/${endpoint}`, { data });
    expect(response.status(), `${endpoint}: ${await response.text()}`).toBe(200);
    return response.json();
  };
  const recordingId = (sql('SELECT id FROM recordings', mailDataDir)[0] as number[])[0];
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
  await expect(rep.locator('[data-hydrated="true"]')).toBeAttached();
  const row = rep.locator(`tr[data-recipient="${RECIPIENT}"]`);
  await expect(row.locator('.opens')).toHaveText('Not opened');

  // The recipient watches 0:00–0:10 and 0:20–0:30.
  const recipientContext = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const viewer = await recipientContext.newPage();
  await viewer.goto(link);
  const playUntil = (from: number, to: number) =>
    viewer.locator('video').evaluate(
      (video: HTMLVideoElement, [start, end]) =>
        new Promise<void>((resolve, reject) => {
          video.muted = true;
          video.currentTime = start;
          const check = () => {
            if (video.currentTime >= end) {
              video.removeEventListener('timeupdate', check);
              video.pause();
              resolve();
            }
          };
          video.addEventListener('timeupdate', check);
          video.play().catch(reject);
        }),
      [from, to],
    );
  await playUntil(0, 10);
  await playUntil(20, 30);

  // Without a reload, the rep's page shows the open and about 44 % watched
  // (20 s of 45 s).
  await expect(row.locator('.opens')).toHaveText(/^1 \(/, { timeout: 15_000 });
  await expect(row.locator('.percent')).toHaveText(/^4[3-6]%$/, { timeout: 15_000 });
  await expect(row.locator('.watch-bar__seen')).toHaveCount(2);

  // Resend: a second email at the SMTP server, with the same link.
  await row.getByRole('button', { name: 'Resend' }).click();
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
