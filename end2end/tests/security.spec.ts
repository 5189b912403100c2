import { test, expect, Page } from '@playwright/test';
import { openApp, shareDialog, uniqueTag, uploadRecording } from './helpers';

/** Collects Content-Security-Policy violations the page reports, both as
 * events and as console messages. */
async function watchPolicy(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { reportViolation: (t: string) => void }).reportViolation(
        `${event.violatedDirective} blocked ${event.blockedURI}`,
      );
    });
  });
  return violations;
}

test('the app and the viewer run under their Content-Security-Policy without a violation', async ({ page, request }) => {
  const violations = await watchPolicy(page);
  // A recording of the test's own, so the share it sends is its own too.
  const title = `Policy check call ${uniqueTag()}`;
  await uploadRecording(request, title);

  // The app: list, Share window, details page with the player.
  await openApp(page, '/recordings');
  await page.getByRole('row', { name: title }).getByRole('button', { name: 'Share' }).click();
  const dialog = shareDialog(page);
  await dialog.getByRole('textbox', { name: "Recipient's Name" }).fill('Csp Check');
  await dialog.getByRole('textbox', { name: "Recipient's email" }).fill('csp@example.com');
  await dialog.getByRole('button', { name: 'Add Recipient' }).click();
  // Sending (to the dev mailbox) makes the recipient's link.
  await dialog.getByRole('button', { name: 'Send Email(s)' }).click();
  await expect(dialog.getByText('Email sent')).toBeVisible();
  const link = dialog.getByRole('listitem').filter({ hasText: 'csp@example.com' }).getByRole('link');
  const href = await link.getAttribute('href');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('link', { name: title }).first().click();
  await expect(page.locator('video')).toBeVisible();

  // The viewer: its script reports the open and plays the video.
  const opened = page.waitForResponse((r) => r.url().endsWith('/opened') && r.status() === 204);
  await page.goto(new URL(href!).pathname);
  await opened;
  await page.locator('video').evaluate((v: HTMLVideoElement) => v.play());
  await expect.poll(() => page.locator('video').evaluate((v: HTMLVideoElement) => v.currentTime)).toBeGreaterThan(0.2);

  expect(violations).toEqual([]);
});
