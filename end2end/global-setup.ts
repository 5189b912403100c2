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
    await context.dispose();
  }
}
