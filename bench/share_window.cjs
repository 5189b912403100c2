// Times, in Chromium, the Share window (from the click on Share until the
// dialog has its saved draft and focus in its first field) and the recording's
// details page (from navigation until the app has hydrated), from the
// performance marks the app leaves: "share-window-ready", "app-hydrated".
//   node bench/share_window.cjs BASE_URL RECORDING_ID RUNS
// Also loads /recordings once with an empty cache and adds up, from the
// network log, the wasm and JS bytes it transferred (as served: compressed).
// Prints {"share": [ms…], "details": [ms…], "firstLoad": {…}} as the last line.
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'end2end', 'node_modules', '@playwright/test'));

const [baseURL, recordingId, runsArg] = process.argv.slice(2);
const runs = Number(runsArg);
const password = process.env.DEMO_PASSWORD || 'bench password 1';

// The rep's first page in a fresh browser profile (signed in, nothing
// cached): every script and WebAssembly response until the app hydrated.
async function measureFirstLoad(browser, signedIn) {
  const context = await browser.newContext({ baseURL, storageState: await signedIn.storageState() });
  try {
    const page = await context.newPage();
    const responses = [];
    page.on('response', (response) => {
      if (/\.(js|wasm)(\?|$)/.test(new URL(response.url()).pathname)) responses.push(response);
    });
    await page.goto('/recordings');
    await page.waitForFunction(() => performance.getEntriesByName('app-hydrated').length > 0);
    await page.waitForLoadState('networkidle');
    const files = [];
    for (const response of responses) {
      const sizes = await response.request().sizes();
      files.push({
        path: new URL(response.url()).pathname,
        bytes: sizes.responseBodySize,
        encoding: (await response.allHeaders())['content-encoding'] || 'identity',
      });
    }
    return { bytes: files.reduce((sum, f) => sum + f.bytes, 0), files };
  } finally {
    await context.close();
  }
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await (await browser.newContext({ baseURL })).newPage();
    await page.goto('/signin');
    await page.getByLabel('Email').fill('demo@example.com');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/recordings');

    const firstLoad = await measureFirstLoad(browser, page.context());

    const details = [];
    for (let i = 0; i < runs; i++) {
      await page.goto(`/recordings/${recordingId}`);
      await page.waitForFunction(() => performance.getEntriesByName('app-hydrated').length > 0);
      details.push(await page.evaluate(() => performance.getEntriesByName('app-hydrated')[0].startTime));
    }

    // The click itself is marked in the page, so Playwright's own checks
    // before clicking are not counted.
    await page.evaluate(() => document.addEventListener('click', (event) => {
      const button = event.target.closest('button');
      if (button && button.textContent.trim() === 'Share') performance.mark('share-click');
    }, true));
    const share = [];
    for (let i = 1; i <= runs; i++) {
      await page.getByRole('button', { name: 'Share', exact: true }).click();
      await page.waitForFunction((n) => performance.getEntriesByName('share-window-ready').length >= n, i);
      share.push(await page.evaluate(() => {
        const click = performance.getEntriesByName('share-click').at(-1);
        const ready = performance.getEntriesByName('share-window-ready').at(-1);
        return ready.startTime - click.startTime;
      }));
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => !document.querySelector('dialog.share-dialog').open);
    }
    console.log(JSON.stringify({ share, details, firstLoad }));
  } finally {
    await browser.close();
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
