// Drives the agent-picker page in headless Chromium like a person: picks an agent, speaks through a
// fake microphone (a WAV file), waits for the agent's answer and its structured fields, ends the call
// and waits for the summary, and keeps a screenshot. Prints what the page showed as one JSON line.
// Usage: node call.mjs <page-url> <speech.wav> <screenshot.png> [purpose]
import puppeteer from 'puppeteer-core';

const [url, wav, png, purpose = 'support'] = process.argv.slice(2);
if (!url || !wav || !png) {
  console.error('usage: node call.mjs <page-url> <speech.wav> <screenshot.png> [purpose]');
  process.exit(2);
}
const browser = await puppeteer.launch({
  executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}%noloop`,
    '--autoplay-policy=no-user-gesture-required'],
});
const result = { ok: false };
let page;
try {
  page = await browser.newPage();
  page.on('console', (message) => console.error(`page ${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.setViewport({ width: 1100, height: 900 });
  await page.goto(url, { waitUntil: 'load' });
  await page.click(`#agents button[data-purpose="${purpose}"]`);
  // in-call once the agent has joined and the microphone is on (the WAV starts with 5 s of silence)
  await page.waitForFunction(() => document.body.dataset.state === 'in-call', { timeout: 60000 });
  result.joinedAt = Date.now();
  // the caller's words and the agent's answer to them, with fields
  await page.waitForFunction(() => document.querySelectorAll('#transcript li.caller').length > 0
    && document.querySelectorAll('#fields tr.field').length > 0, { timeout: 180000 });
  result.answeredAt = Date.now();
  Object.assign(result, await page.evaluate(() => ({
    caller: [...document.querySelectorAll('#transcript li.caller')].map((li) => li.lastChild.textContent),
    agent: [...document.querySelectorAll('#transcript li.agent')].map((li) => li.lastChild.textContent),
    fields: Object.fromEntries([...document.querySelectorAll('#fields tr.field')]
      .map((row) => [row.cells[0].textContent, row.cells[1].textContent])),
    agentAudio: !!document.querySelector('audio#agent-audio'),
  })));
  await page.screenshot({ path: png, fullPage: true });
  await page.click('#hangup');
  await page.waitForFunction(() => !document.getElementById('summary').hidden, { timeout: 120000 })
    .then(() => { result.summaryShown = true; })
    .catch(() => { result.summaryShown = false; });
  result.summary = await page.evaluate(() => document.getElementById('summary-text').textContent);
  await page.screenshot({ path: png.replace(/\.png$/, '-summary.png'), fullPage: true });
  result.ok = true;
} catch (e) {
  result.error = e.message;
  // what the page showed when it gave up: status line, transcript so far, who was in the room
  result.seen = await page?.evaluate(() => ({
    state: document.body.dataset.state,
    status: document.getElementById('status').textContent,
    transcript: [...document.querySelectorAll('#transcript li')].map((li) => `${li.className}: ${li.lastChild.textContent}`),
    fields: document.querySelectorAll('#fields tr.field').length,
    agentAudio: !!document.querySelector('audio#agent-audio'),
  })).catch((err) => `page unreadable: ${err.message}`);
  await page?.screenshot({ path: png.replace(/\.png$/, '-failed.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
