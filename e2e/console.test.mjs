// The staff console in a real browser: Playwright (playwright-core) drives
// Debian's chromium against the real server, started here with
// `go run ./cmd/linli` on a free port and a fresh data directory (the demo
// street loads into it). Screenshots of each page go to e2e/artifacts/.
//
//   cd e2e && npm ci && npm test     (CHROMIUM=/path/to/chromium to override)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, 'artifacts');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

let server, dataDir, base, browser;
let serverLog = '';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitForHealth(url, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url + '/healthz');
      if (r.ok) return;
    } catch { /* not listening yet */ }
    if (server.exitCode !== null) throw new Error('server exited:\n' + serverLog);
    if (Date.now() > deadline) throw new Error('server did not answer in time:\n' + serverLog);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function api(method, path, token, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function login(openId) {
  return (await api('POST', '/api/v1/auth/dev-login', '', { openId })).token;
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'linli-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // Built first, with no deadline (a cold build on a loaded CI machine
  // takes minutes); then the server has a deadline to answer.
  const bin = join(dataDir, 'linli');
  await promisify(execFile)('go', ['build', '-o', bin, './cmd/linli'], { cwd: join(here, '..') });
  server = spawn(bin, [], {
    cwd: join(here, '..'),
    env: { ...process.env, LINLI_HTTP_ADDR: `127.0.0.1:${port}`, LINLI_DATA_DIR: dataDir, LINLI_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group
  });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  await waitForHealth(base, 30_000);
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
});

// groupAlive reports whether any process of the server's group is left.
function groupAlive(pid) {
  try { process.kill(-pid, 0); return true; } catch { return false; }
}

after(async () => {
  if (browser) await browser.close();
  if (server) {
    // End the server's process group, and wait until the server has
    // closed its data file.
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
    const deadline = Date.now() + 15_000;
    while (groupAlive(server.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive(server.pid)) { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

// newPage opens a page that collects the browser console's errors and
// every answer of 400 or more (the test filters out what it provokes);
// shot saves a screenshot of it among the artifacts.
async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const failed = [];
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  const shot = (name) => page.screenshot({ path: join(artifacts, name + '.png'), fullPage: true });
  return { page, errors, failed, shot };
}

test('a message from the queue to resolved, the figures move, a wish moderated', async () => {
  const { page, errors, failed, shot } = await newPage();

  await page.goto(base + '/');
  await shot('01-front-door');

  // Sign in: the demo street's grid worker 李建国 (幸福里社区, 第一网格).
  await page.goto(base + '/console');
  await page.waitForURL(/\/console\/login$/);
  await shot('02-sign-in');
  await page.getByRole('button', { name: /李建国/ }).click();
  await page.waitForURL(/\/console\/queue$/);

  // The response rate before.
  await page.goto(base + '/console/figures');
  const rateBefore = await page.locator('#rate-response').innerText();

  // The grid queue is open when a resident of the grid writes in.
  await page.goto(base + '/console/queue?scope=grid');
  const text = `E2E：${Date.now()} 号楼门口的路灯不亮了 <b>请尽快</b>`;
  const resident = await login('dev-resident-1');
  await api('POST', '/api/v1/messages', resident, { category: '物业维修', content: text });
  const row = page.locator('table.queue tr', { hasText: text });
  await row.waitFor({ timeout: 45_000 }); // polled in (every 5 s), no reload; a loaded CI machine is slow
  assert.equal(await page.locator('table.queue b').count(), 0, 'the resident\'s markup is shown as text');
  await shot('03-queue');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await shot('03-queue-1920');
  await page.setViewportSize({ width: 1366, height: 768 });

  // Keyboard: j selects rows, Enter opens the one selected.
  const rows = page.locator('table.queue tbody tr[data-id]');
  const index = await rows.evaluateAll((rs, t) => rs.findIndex((r) => r.textContent.includes(t)), text);
  for (let i = 0; i <= index; i++) await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/console\/messages\//);
  await page.getByRole('button', { name: '受理（首接负责）' }).click();
  await page.locator('.flash.ok', { hasText: '已受理，您是这条留言的承办人' }).waitFor();

  // g back to the queue (mine now): the message is still selected, and r
  // opens it at the reply.
  await page.keyboard.press('g');
  await page.waitForURL(/\/console\/queue$/);
  await page.locator('table.queue tr.selected', { hasText: text }).waitFor();
  await page.keyboard.press('r');
  await page.waitForURL(/\/console\/messages\/.*#reply$/);
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'reply');

  // Resolving before a named answer is refused, and said so.
  await page.locator('#resolution').fill('路灯已修好');
  await page.getByRole('button', { name: '办结' }).click();
  await page.locator('.flash.error', { hasText: '办结前须由工作人员实名答复居民' }).waitFor();
  assert.match(await page.locator('.flash.error').innerText(), /MESSAGE_NOT_ANSWERED/);
  await shot('04-refused');

  // r jumps to the reply.
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('r');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'reply');
  await page.keyboard.type('您好，已通知物业电工今天下午检修路灯。');
  await page.getByRole('button', { name: '发送答复' }).click();
  await page.locator('.flash.ok', { hasText: '答复已发送给居民' }).waitFor();
  await page.locator('#resolution').fill('物业电工已更换灯泡，路灯恢复照明。');
  await page.getByRole('button', { name: '办结' }).click();
  await page.locator('.flash.ok', { hasText: '已办结，等待居民评价' }).waitFor();
  assert.match(await page.locator('.events').innerText(), /李建国（网格员）/);
  await shot('05-message-resolved');

  // The response rate moved.
  await page.goto(base + '/console/figures');
  const rateAfter = await page.locator('#rate-response').innerText();
  assert.notEqual(rateAfter, rateBefore, `response rate stayed at ${rateBefore}`);
  assert.equal(await page.locator('svg[role=img] polyline').count() > 0, true, 'the weekly chart draws');
  await shot('06-figures');

  // Wish moderation: the demo wish waiting for review is approved.
  await page.goto(base + '/console/wishes');
  const pending = page.locator('li.wish');
  const before = await pending.count();
  assert.ok(before > 0, 'a wish waits for review');
  await shot('07-wishes');
  await pending.first().getByRole('button', { name: '通过' }).click();
  await page.locator('.flash.ok', { hasText: '已通过，心愿已发布' }).waitFor();
  assert.equal(await page.locator('li.wish').count(), before - 1);

  // The API reference renders the contract.
  await page.goto(base + '/docs');
  await page.locator('.swagger-ui .info .title').waitFor({ timeout: 45_000 });
  await shot('08-docs');

  // Sign out.
  await page.goto(base + '/console/queue');
  await page.getByRole('button', { name: '退出' }).click();
  await page.waitForURL(/\/console\/login$/);

  assert.deepEqual(failed.filter((f) => !/^409 .*\/resolve$/.test(f)), [], 'nothing else refused or missing');
  assert.deepEqual(errors.filter((e) => !/status of 409/.test(e)), [], 'no errors in the browser console (CSP included)');
});

test('check-in codes on a screen: a service point\'s code image loads and its live part swaps in by itself, an activity before its window says when', async () => {
  const { page, errors, failed, shot } = await newPage();

  await page.goto(base + '/console/login');
  await page.getByRole('button', { name: /李建国/ }).click();
  await page.waitForURL(/\/console\/queue$/);

  // The Party desk lists 幸福里's service points; one's code page shows
  // the code as an image that loads (a plain QR code without WeChat).
  await page.goto(base + '/console/party');
  // A service point added through the desk's form is listed at once.
  await page.getByLabel('服务岗名称').fill('文明引导岗');
  await page.getByLabel('地点', { exact: true }).fill('小区东门岗亭');
  await page.getByRole('button', { name: '添加', exact: true }).click();
  await page.locator('.flash.ok', { hasText: '已添加服务岗' }).waitFor();
  await page.locator('#service-points ~ table tr', { hasText: '文明引导岗' }).waitFor();
  const images = [];
  page.on('response', (r) => { if (/\/qrcode\.png/.test(r.url())) images.push(r); });
  // The page's timers under the test's clock: the live part asks again
  // when the test moves the clock, not on its own.
  await page.clock.install();
  await page.locator('#service-points ~ table a', { hasText: '显示签到码' }).first().click();
  await page.waitForURL(/\/console\/party\/service-points\/[^/]+\/code$/);
  const img = page.locator('img.checkin-code');
  await img.waitFor();
  await page.waitForFunction(() => { const i = document.querySelector('img.checkin-code'); return i && i.complete && i.naturalWidth > 0; });
  const shown = await img.boundingBox();
  assert.ok(shown.width >= 300, `the code is ${shown.width}px wide: too small to scan from a metre`);
  assert.equal(images.length, 1, 'one image fetched');
  assert.equal(images[0].status(), 200);
  assert.equal(images[0].headers()['content-type'], 'image/png');
  assert.match(images[0].headers()['cache-control'], /^private, max-age=\d+$/);
  assert.match(await page.locator('.code-times').innerText(), /\d\d:\d\d 更换/);
  assert.match(await page.locator('#code-live').getAttribute('hx-trigger'), /^load delay:\d+s, every 20s$/);
  // The image does not extend the session because the browser marks it so.
  assert.equal((await images[0].request().allHeaders())['sec-fetch-dest'], 'image');
  await shot('09-service-point-code');

  // The live part asks again by itself (the backstop at the latest) as
  // htmx (not extending the session), swaps in, and still shows a code
  // that loads.
  await page.locator('#code-live').evaluate((el) => { el.dataset.before = 'yes'; });
  const liveAsked = page.waitForResponse((r) => /\/code\/live$/.test(r.url()));
  await page.clock.runFor(21_000);
  const live = await liveAsked;
  assert.equal(live.status(), 200);
  assert.equal((await live.request().allHeaders())['hx-request'], 'true');
  await page.waitForFunction(() => {
    const i = document.querySelector('#code-live:not([data-before]) img.checkin-code'); // swapped in
    return i && i.complete && i.naturalWidth > 0;
  });
  assert.match(await page.locator('#code-live').getAttribute('hx-trigger'), /^load delay:\d+s, every 20s$/);

  // An activity days away: the service's refusal and when check-in opens.
  await page.goto(base + '/console/activities');
  await page.getByRole('link', { name: '义剪进社区：免费理发' }).click();
  await page.getByRole('link', { name: '签到码' }).click();
  await page.waitForURL(/\/console\/activities\/[^/]+\/code$/);
  await page.locator('.code-closed', { hasText: '签到时间为活动开始前30分钟至活动结束' }).waitFor();
  assert.match(await page.locator('.code-closed').innerText(), /签到将于 \d\d-\d\d 08:30 开放/);
  assert.equal(await page.locator('img.checkin-code').count(), 0);
  await shot('10-activity-code-not-open');

  assert.deepEqual(failed, [], 'nothing refused or missing');
  assert.deepEqual(errors, [], 'no errors in the browser console (CSP included)');
});
