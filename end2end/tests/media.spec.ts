import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { APIRequestContext, expect, test } from '@playwright/test';
import { callApi, openApp, processed, shareDialog, uniqueTag, uploadRecording } from './helpers';

/** A video made with ffmpeg from a test pattern and a tone (`seconds`
 * long), encoded with `codec`; its path. */
function makeVideo(name: string, seconds: number, size: string, codec: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sar-media-'));
  const file = path.join(dir, name);
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    ...codec, '-shortest', file,
  ]);
  return file;
}

const HEVC_MOV = ['-c:v', 'libx265', '-preset', 'ultrafast', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p',
  '-x265-params', 'log-level=error', '-c:a', 'aac'];
/** ffmpeg's MP4 muxer writes the index (`moov`) at the end unless told not to. */
const MP4_INDEX_AT_END = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
  '-b:v', '2M', '-c:a', 'aac'];
const VP9_WEBM = ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-pix_fmt', 'yuv420p',
  '-c:a', 'libopus'];
/** MPEG-4 Part 2 in AVI: no browser plays it, so it is transcoded. */
const MPEG4_AVI = ['-c:v', 'mpeg4', '-q:v', '10', '-c:a', 'mp3'];

/** A link for a new recipient of a new share of `recording`; its path. */
async function linkTo(api: APIRequestContext, recording: number): Promise<string> {
  const draft = await callApi(api, 'share/open', { recording_id: recording, browser_time_zone: 'UTC' });
  const tag = uniqueTag();
  await callApi(api, 'share/recipient/add', { share_id: draft.id, name: 'Viewer', email: `viewer-${tag}@example.com` });
  const share = await callApi(api, 'share/links', { share_id: draft.id });
  return new URL(share.recipients[0].link).pathname;
}

test('Debian Chromium plays H.264/AAC in MP4 and VP9/Opus in WebM', async ({ page }) => {
  await page.goto('/signin');
  const can = await page.evaluate(() => {
    const video = document.createElement('video');
    return {
      h264: video.canPlayType('video/mp4; codecs="avc1.64001f, mp4a.40.2"'),
      vp9: video.canPlayType('video/webm; codecs="vp9, opus"'),
    };
  });
  expect(can).toEqual({ h264: 'probably', vp9: 'probably' });
});

test("a phone's HEVC .mov, an MP4 indexed at its end and a VP9 WebM each become ready and play", async ({ browser, request }) => {
  test.setTimeout(180_000);
  const files = {
    mov: makeVideo('phone.mov', 8, '640x360', HEVC_MOV),
    mp4: makeVideo('index-at-end.mp4', 8, '640x360', MP4_INDEX_AT_END),
    webm: makeVideo('call.webm', 8, '640x360', VP9_WEBM),
  };
  for (const [kind, file] of Object.entries(files)) {
    const recording = await uploadRecording(request, `${kind} ${uniqueTag()}`, file);
    const link = await linkTo(request, recording);
    // The recipient's browser, on a slow line (4 Mbit/s): the remuxed MP4
    // starts playing before it is downloaded whole.
    const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 20, downloadThroughput: 512 * 1024, uploadThroughput: -1,
    });
    const ranges: string[] = [];
    page.on('request', (req) => {
      if (req.url().endsWith('/video')) ranges.push(req.headers()['range'] ?? 'none');
    });
    let received = 0;
    cdp.on('Network.dataReceived', (event) => { received += event.dataLength; });
    await page.goto(link);
    const video = page.locator('video');
    const size = Number(
      (await request.head(`${link}/video`)).headers()['content-length'],
    );
    const atPlaying = await video.evaluate(
      (v: HTMLVideoElement) =>
        new Promise<number>((resolve, reject) => {
          v.muted = true;
          v.addEventListener('playing', () => resolve(performance.now()), { once: true });
          v.play().catch(reject);
        }),
    );
    expect(atPlaying).toBeGreaterThan(0);
    const receivedWhenPlaying = received;
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 20_000 })
      .toBeGreaterThan(1);
    if (kind === 'mp4') {
      // Index first: no request for the end of the file before playing, and
      // playback began with only part of the file here.
      expect(ranges[0]).toMatch(/^bytes=0-/);
      expect(receivedWhenPlaying, `${receivedWhenPlaying} of ${size} bytes`).toBeLessThan(size * 0.6);
    }
    await context.close();
  }
});

test('the Recordings tab shows the percent while a recording is processed, then its poster and Share', async ({ page, request }) => {
  test.setTimeout(180_000);
  // Five minutes to transcode: long enough to watch the percent move.
  const file = makeVideo('long.avi', 300, '480x270', MPEG4_AVI);
  const title = `Long call ${uniqueTag()}`;
  await openApp(page, '/recordings');
  await page.getByLabel('Video file (MP4, MOV, WebM, …)').setInputFiles(file);
  await page.getByLabel('Title (optional)').fill(title);
  await page.getByRole('button', { name: 'Upload' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: title }) });
  // No reload: the page asks again while something is processing.
  await expect(row.getByRole('progressbar', { name: 'Processing' })).toBeVisible({ timeout: 30_000 });
  const seen = new Set<number>();
  await expect
    .poll(
      async () => {
        const percent = /Processing (\d+)%/.exec((await row.textContent()) ?? '');
        if (percent && Number(percent[1]) > 0 && !seen.has(Number(percent[1]))) {
          seen.add(Number(percent[1]));
          await page.screenshot({ path: test.info().outputPath(`processing-${percent[1]}.png`) });
        }
        return [...seen].filter((p) => p > 0 && p < 100).length;
      },
      { timeout: 90_000, intervals: [250] },
    )
    .toBeGreaterThanOrEqual(2);
  await expect(row.getByRole('button', { name: 'Share' })).toBeVisible({ timeout: 120_000 });
  const poster = row.locator('img.poster');
  await expect(poster).toBeVisible();
  await expect
    .poll(() => poster.evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBeGreaterThan(0);
  await page.screenshot({ path: test.info().outputPath('recordings-ready.png'), fullPage: true });
  // The same on its own page: the player, with the poster.
  await row.getByRole('link', { name: title }).click();
  await expect(page.locator('video.player')).toHaveAttribute('poster', /poster\.jpg$/);
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  const recording = await processed(request, id);
  expect(recording.state).toBe('Ready');
});

test('a failed recording says why', async ({ page, request }) => {
  const title = `Broken ${uniqueTag()}`;
  // A valid MP4 header, then nothing a demuxer can read.
  const broken = Buffer.concat([
    Buffer.from('0000001c6674797069736f6d0000020069736f6d69736f326d703431', 'hex'),
    Buffer.alloc(20_000, 7),
  ]);
  const uploaded = await request.post(`/api/recordings/upload?title=${encodeURIComponent(title)}`, { data: broken });
  expect(uploaded.status()).toBe(201);
  await openApp(page, '/recordings');
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: title }) });
  await expect(row).toContainText('Failed: This file is not a video we can read, or it is damaged.', { timeout: 60_000 });
  await expect(row.getByRole('button', { name: 'Share' })).toHaveCount(0);
});

test('moving along the Share window timeline shows the frame at that time', async ({ page, request }) => {
  const recording = await uploadRecording(request, `Previewed ${uniqueTag()}`);
  await openApp(page, `/recordings/${recording}`);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = shareDialog(page);
  await expect(dialog).toBeVisible();
  const timeline = dialog.getByRole('slider');
  const box = (await timeline.boundingBox())!;
  // Half-way along the 45 s demo: the frame of 0:22 (every 2 s: the 12th).
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const preview = dialog.locator('.timeline__preview');
  await expect(preview).toBeVisible();
  await expect(preview.locator('.timeline__time')).toHaveText(/^0:2[12]$/);
  const frame = preview.locator('.timeline__frame');
  await expect(frame).toHaveCSS('background-image', new RegExp(`/media/recordings/${recording}/previews\\.jpg`));
  await expect(frame).toHaveCSS('background-position', '-160px -90px');
  await page.screenshot({ path: test.info().outputPath('timeline-preview.png') });
  // Off the timeline, gone; by keyboard, the picked time shows its frame.
  await page.mouse.move(box.x, box.y - 200);
  await expect(preview).toHaveCount(0);
  await timeline.focus();
  await page.keyboard.press('End');
  await expect(dialog.locator('.timeline__preview .timeline__time')).toHaveText(/^0:4[45]$/);
});
