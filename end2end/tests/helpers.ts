import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { APIRequestContext, Browser, BrowserContextOptions, expect, Page } from '@playwright/test';
import { appEnv, root, serverBin } from '../playwright.config';

export const DEMO_TITLE = 'Demo recording: product walkthrough';
/** The demo recording's file, for uploads. */
export const demoFile = path.resolve(__dirname, '../../server/assets/demo-recording.webm');

/** Waits until the app has hydrated (event handlers attached). A browser
 * context of its own loads the whole wasm bundle first, several megabytes
 * the server compresses for each request: with two workers loading pages at
 * once that can take longer than an assertion's usual wait. */
export async function hydrated(page: Page) {
  await expect(page.locator('[data-hydrated="true"]')).toBeAttached({ timeout: 30_000 });
}

/** Opens `path` and waits until the app has hydrated. */
export async function openApp(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
}

/** The video's state, read in the page. */
export function videoState(page: Page) {
  return page.locator('video').evaluate((v: HTMLVideoElement) => ({
    currentTime: v.currentTime,
    paused: v.paused,
    duration: v.duration,
  }));
}

/** Runs SQL against a test server's database (python3's sqlite3: no extra
 * package) and returns the rows. `dir` is the server's data folder. */
export function sql(statement: string, dir = path.join(__dirname, '..', '.data')): unknown[][] {
  const out = execFileSync('python3', [
    '-c',
    'import json, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nrows = c.execute(sys.argv[2]).fetchall()\nc.commit()\nprint(json.dumps(rows))',
    path.join(dir, 'share.db'),
    statement,
  ]);
  return JSON.parse(out.toString());
}

export interface Mail {
  to: string;
  subject: string;
  messageId: string;
  text: string;
  html: string;
}

/** Every message the tests' SMTP server kept in `maildir`, decoded by
 * python3's email package. */
export function receivedMail(maildir: string): Mail[] {
  const out = execFileSync('python3', [
    '-c',
    [
      'import email, json, mailbox, sys',
      'from email import policy',
      'box = mailbox.Maildir(sys.argv[1], create=True)',
      'out = []',
      'for key in box.keys():',
      '    msg = email.message_from_bytes(box.get_bytes(key), policy=policy.default)',
      '    text = msg.get_body(("plain",))',
      '    html = msg.get_body(("html",))',
      '    out.append({"to": msg["X-RcptTo"], "subject": msg["Subject"], "messageId": msg["Message-ID"],',
      '                "text": text.get_content() if text else "", "html": html.get_content() if html else ""})',
      'print(json.dumps(out))',
    ].join('\n'),
    maildir,
  ]);
  return JSON.parse(out.toString());
}

/** The open Share Recording window. */
export function shareDialog(page: Page) {
  return page.getByRole('dialog', { name: 'Share Recording' });
}

/** Calls server function `endpoint` (under /api/) as the signed-in rep of
 * `api`; it must succeed. Returns its JSON answer. */
export async function callApi(api: APIRequestContext, endpoint: string, data: object) {
  const response = await api.post(`/api/${endpoint}`, { data });
  expect(response.status(), `${endpoint}: ${await response.text()}`).toBe(200);
  return response.json();
}

/** Plays the page's video from `from` to `to` seconds (muted), then pauses:
 * what a recipient watching that stretch does. */
export function playStretch(page: Page, from: number, to: number) {
  return page.locator('video').evaluate(
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
}

/** Uploads `file` (the demo's by default) as a new recording titled
 * `title` and waits until it is processed; returns its id. A recording of
 * the test's own: no draft or share of another test is reused. */
export async function uploadRecording(
  api: APIRequestContext,
  title: string,
  file: string = demoFile,
): Promise<number> {
  const uploaded = await api.post(`/api/recordings/upload?title=${encodeURIComponent(title)}`, {
    data: fs.readFileSync(file),
  });
  expect(uploaded.status(), await uploaded.text()).toBe(201);
  const id = (await uploaded.json()).id;
  await processed(api, id);
  return id;
}

/** Waits until recording `id` is processed (ready, with its timeline
 * previews) and returns it as the rep's pages get it. */
export async function processed(api: APIRequestContext, id: number) {
  let recording: { state: unknown; previews: unknown } = { state: null, previews: null };
  await expect
    .poll(
      async () => {
        // A form post: the recordings' server functions take URL-encoded input.
        const response = await api.post('/api/recordings/get', { form: { id } });
        expect(response.status(), await response.text()).toBe(200);
        recording = await response.json();
        return recording.state === 'Ready' && recording.previews !== null;
      },
      { timeout: 120_000, message: `recording ${id} is processed` },
    )
    .toBe(true);
  return recording;
}

/** A short random tag, for names and addresses that must be the test's own
 * even when it runs again against the same servers. */
export function uniqueTag(): string {
  return randomBytes(4).toString('hex');
}

export interface Rep {
  email: string;
  name: string;
  password: string;
}

/** Creates a rep of the test's own on the first test server, with the
 * server's CLI (`server user add`, password on standard input): for tests
 * that change a rep's profile, which would otherwise change the demo rep
 * under the other tests. */
export function addRep(name: string): Rep {
  const rep = { email: `rep-${uniqueTag()}@example.com`, name, password: `password ${uniqueTag()}` };
  execFileSync(serverBin, ['user', 'add', '--email', rep.email, '--name', rep.name], {
    cwd: root,
    env: { ...process.env, ...appEnv },
    input: `${rep.password}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return rep;
}

/** A new browser context on the first test server, signed in as `rep` (the
 * form post a browser makes without scripts) and as nobody else. */
export async function signedInAs(browser: Browser, rep: Rep, options: BrowserContextOptions = {}) {
  const context = await browser.newContext({ ...options, storageState: { cookies: [], origins: [] } });
  const response = await context.request.post('/api/auth/signin', {
    headers: { accept: 'text/html' },
    form: { email: rep.email, password: rep.password, next: '/recordings' },
    maxRedirects: 0,
  });
  expect(response.status(), `signing in as ${rep.email}: ${await response.text()}`).toBe(302);
  return context;
}
