// GraphiQL in a real browser (Debian's chromium, headless, no network beyond loopback): the page
// served at /graphql runs a runEvents subscription over WebSocket and shows the events in its
// result pane. GraphiQL's code, styles and editor workers are inlined in the page by
// @graphql-yoga/render-graphiql (no CDN), so this works offline.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server/app.ts';
import { buildServedApp } from '../support/app.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let t: TestRuntime;
let app: App;
let base: string;
let browser: BrowserContext;
let profile: string;

beforeAll(async () => {
  if (!hasChromium) return;
  t = await createTestRuntime({ slots: 2 });
  app = buildServedApp(t.database, {
    settings: {
      authEnabled: false,
      heartbeatTimeoutMs: 5_000,
      commandsEnabled: true,
      events: t.runtime.events,
      logFeed: t.runtime.logFeed,
      metricFeed: t.runtime.metricFeed,
    },
  });
  base = await app.start();
  profile = mkdtempSync(join(tmpdir(), 'jobgate-chromium-'));
  // A fresh profile each time; playwright adds --headless itself (headless: true).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
  });
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await t?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('GraphiQL', () => {
  it.skipIf(!hasChromium)(
    `runs a runEvents subscription from the editor and shows its events${hasChromium ? '' : ` (skipped: no chromium at ${CHROMIUM}; apt-get install -y chromium)`}`,
    async () => {
      await t.createJob({ name: 'graphiql-watch', command: { command: 'sleep 60' } });
      const runId = await t.start('graphiql-watch');
      await t.waitForRun(runId, ['RUNNING']);

      const page = await browser.newPage();
      const offsite: string[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (!['blob:', 'data:'].includes(url.protocol) && url.origin !== base) offsite.push(request.url());
      });
      await page.goto(`${base}/graphql`);
      const editor = page.locator('.graphiql-query-editor');
      await editor.waitFor({ timeout: 60_000 });
      await editor.click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      // insertText types no keys, so the editor's bracket completion adds nothing.
      await page.keyboard.insertText(
        `subscription { runEvents(runId: "${runId}") { cursor type status run { status } } }`,
      );
      await page.locator('.graphiql-execute-button').click();

      const response = page.locator('.graphiql-response');
      await expect.poll(() => response.innerText(), { timeout: 60_000 }).toContain('RUNNING');
      // Live: the cancel happens after the page subscribed, and its events arrive in the pane.
      expect((await t.graphql({ contract: 'CancelJob' }, { runId })).errors).toBeUndefined();
      await expect.poll(() => response.innerText(), { timeout: 60_000 }).toContain('CANCELED');
      expect(offsite).toEqual([]);
      await page.close();
    },
  );
});
