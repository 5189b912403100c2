import { request } from '@playwright/test';
import { baseURL, mailBaseURL, DEMO_PASSWORD, appState, mailState } from './playwright.config';

/** Signs the demo rep in on both test servers and keeps the session cookies
 * for the tests (the form post a browser makes without scripts). */
export default async function globalSetup() {
  for (const [url, state] of [
    [baseURL, appState],
    [mailBaseURL, mailState],
  ]) {
    const context = await request.newContext({ baseURL: url });
    const response = await context.post('/api/auth/signin', {
      headers: { accept: 'text/html' },
      form: { email: 'demo@example.com', password: DEMO_PASSWORD, next: '/recordings' },
      maxRedirects: 0,
    });
    if (response.status() !== 302) {
      throw new Error(`signing in on ${url} answered ${response.status()}: ${await response.text()}`);
    }
    await context.storageState({ path: state });
    // The demo recording is processed at the first start: wait for it.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const list = await context.post('/api/recordings/list', { form: {} });
      const recordings = (await list.json()).items;
      if (recordings.length > 0 && recordings.every((r: { state: unknown; previews: unknown }) => r.state === 'Ready' && r.previews !== null)) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`the demo recording on ${url} was not processed: ${JSON.stringify(recordings)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await context.dispose();
  }
}
