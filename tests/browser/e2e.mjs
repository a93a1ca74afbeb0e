// End-to-end tests of the newsdesk page in headless Chromium (Debian's package, driven by
// playwright-core). Usage: node e2e.mjs BASE_URL READ_KEY WRITE_KEY OUT_DIR
// The server must hold the demo corpus and run with those keys. Prints one line per case and
// a JSON summary; exits 1 when a case fails.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [base, readKey, writeKey, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node e2e.mjs BASE_URL READ_KEY WRITE_KEY OUT_DIR');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

const problems = []; // console errors, page errors, failed requests not expected by a case
let expected401 = false; // set while a case provokes a 401 on purpose
const results = [];
let axeViolations = 0;
const axeByView = {};

function watch(page) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expected401 && /status of 401/.test(m.text())) return;
    problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() < 400) return;
    if (expected401 && r.status() === 401) return;
    problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(outDir, `${name}.png`) });
}

async function axe(page, view) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id}: ${v.nodes.length} (${v.help})`);
  });
  axeByView[view] = violations;
  axeViolations += violations.length;
}

async function step(name, page, fn) {
  const before = problems.length;
  try {
    await fn();
    check(problems.length === before, `unexpected: ${problems.slice(before).join('; ')}`);
    results.push({ name, ok: true });
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push({ name, ok: false, error: e.message });
    console.log(`FAIL ${name}: ${e.message}`);
  }
  await shot(page, name).catch(() => {});
}

// Polls a predicate in the page (Playwright's waitForFunction compiles it with eval, which the
// page's CSP forbids; page.evaluate does not).
async function waitFor(page, fn, arg, what = 'condition') {
  const until = Date.now() + 30000;
  while (Date.now() < until) {
    if (await page.evaluate(fn, arg)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const tid = (id) => `[data-testid="${id}"]`;

async function setKeys(page, read, write) {
  await page.click('.tab[data-view="keys"]');
  await page.fill(tid('read-key'), read);
  await page.fill(tid('write-key'), write);
  await page.click(tid('keys-save'));
}

const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
watch(page);

await step('keys-401-explained', page, async () => {
  expected401 = true;
  await page.goto(base, { waitUntil: 'load' });
  // No key yet: the page says why it cannot read.
  await page.waitForSelector('#notice:not([hidden])');
  check(/read key/.test(await page.textContent('#notice')), 'no read-key explanation on load');
  await setKeys(page, 'not-the-key', '');
  await page.click('.tab[data-view="ask"]');
  await page.fill(tid('question'), 'What did SIDBI announce?');
  await page.click(tid('ask'));
  const err = await page.waitForSelector(`${tid('answer')} ${tid('error')}`);
  const text = await err.textContent();
  check(/401/.test(text) && /not accepted/.test(text) && /Keys/.test(text), `401 not explained: ${text}`);
  expected401 = false;
});

await step('ask-sidbi-citation-opens-article', page, async () => {
  await setKeys(page, readKey, writeKey);
  await waitFor(page, () => /Ready · \d+ articles/.test(document.querySelector('[data-testid="status"]').textContent));
  await page.click('.tab[data-view="ask"]');
  await page.fill(tid('question'), 'What did SIDBI announce?');
  await page.click(tid('ask'));
  const first = await page.waitForSelector(`${tid('answer-sentence')} >> nth=0`);
  const sentence = (await first.$eval('.answer-sentence', (e) => e.textContent)).trim();
  check(sentence.includes('Development of Industry Associations (DIA)'), `first answer is not the DIA sentence: ${sentence}`);
  check(await page.isVisible(tid('confidence')), 'no confidence in words');
  await first.$eval(tid('citation'), (e) => e.click());
  await page.waitForSelector(`${tid('article-view')} ${tid('highlight')}`);
  const mark = (await page.textContent(tid('highlight'))).trim();
  check(mark === sentence, `highlight ${JSON.stringify(mark)} is not the cited sentence`);
  const inView = await page.$eval(tid('highlight'), (m) => {
    const r = m.getBoundingClientRect();
    const d = document.querySelector('[data-testid="article-view"]').getBoundingClientRect();
    return r.top >= d.top && r.bottom <= d.bottom + 1;
  });
  check(inView, 'highlighted sentence not scrolled into view');
  check(/SIDBI/.test(await page.textContent('#article-title')), 'article view shows another title');
  await axe(page, 'article-view');
  await shot(page, 'article-view-1280');
  await page.click(tid('article-close'));
});

await step('search-date-filter-excludes-article', page, async () => {
  await page.click('.tab[data-view="search"]');
  await page.fill(tid('search-query'), 'SIDBI cluster development industry associations');
  await page.click(tid('search'));
  await page.waitForSelector(tid('hit'));
  const first = await page.$eval(tid('hit'), (h) => ({ id: h.dataset.articleId, meta: h.querySelector('.meta').textContent }));
  check(await page.isVisible(tid('hit-highlight')), 'best sentence not highlighted');
  const date = first.meta.match(/\d{4}-\d{2}-\d{2}/)[0];
  // Two days back: a bare date filter is a UTC day, the page shows the article's own offset.
  const dayBefore = new Date(Date.parse(`${date}T00:00:00Z`) - 2 * 86400000).toISOString().slice(0, 10);
  await page.fill(tid('filter-to'), dayBefore);
  await page.click(tid('search'));
  await waitFor(page, (id) => {
    const hits = [...document.querySelectorAll('[data-testid="hit"]')];
    const none = document.querySelector('[data-testid="no-hits"]');
    return (none || hits.length) && !hits.some((h) => h.dataset.articleId === id);
  }, first.id);
  const dates = await page.$$eval(`${tid('hit')} .meta`, (ms) => ms.map((m) => (m.textContent.match(/\d{4}-\d{2}-\d{2}/) || ['undated'])[0]));
  check(dates.every((d) => d !== 'undated' && d <= dayBefore), `hits after ${dayBefore}: ${dates}`);
  const sources = await page.$$eval(`${tid('filter-source')} option`, (os) => os.length);
  check(sources > 1, 'source filter not populated from the corpus');
  await page.fill(tid('filter-to'), '');
  await axe(page, 'search');
});

await step('brief-sources-open-article', page, async () => {
  await page.click('.tab[data-view="brief"]');
  await page.fill(tid('brief-topic'), 'SIDBI industry associations');
  await page.click(tid('brief'));
  await page.waitForSelector(tid('brief-source'));
  check(await page.isVisible(tid('copy-markdown')), 'no Copy Markdown');
  check(await page.$eval(tid('brief-output'), (o) => o.querySelectorAll('li').length > 1), 'brief has no bullets');
  // One section per story, each saying how many sources report it.
  const sections = await page.$$eval(tid('brief-section'), (ss) => ss.map((s) => s.querySelector('.meta').textContent));
  check(sections.length >= 1 && sections.every((m) => /^Reported by \d+ sources?$/.test(m)), `brief sections: ${sections}`);
  const sources = await page.$$(tid('brief-source'));
  const last = sources[sources.length - 1];
  const title = (await last.textContent()).trim();
  await last.click();
  await waitFor(page, (t) => document.querySelector('#article-title').textContent === t, title, 'the article view');
  await page.waitForSelector('#article-body:not(:empty)');
  await page.keyboard.press('Escape');
  await axe(page, 'brief');
});

await step('add-document-then-find-it', page, async () => {
  await page.click('.tab[data-view="add"]');
  const text = 'Quillmoor harbour opens a tidal power station\n\n'
    + 'PORT QUILLMOOR, March 3 (Desk) - The harbour authority of Quillmoor switched on a tidal '
    + 'power station on Tuesday that it says will light eleven thousand homes.\n\n'
    + 'Engineers spent four years building the barrage across the estuary.';
  await page.fill(tid('add-document'), text);
  await page.click(tid('add-document-submit'));
  const report = await page.waitForSelector(tid('add-report'));
  check(/1 added/.test(await report.textContent()), `not added: ${await report.textContent()}`);
  await page.click('.tab[data-view="search"]');
  await page.fill(tid('search-query'), 'Quillmoor tidal power station');
  await page.click(tid('search'));
  await page.waitForSelector(tid('hit'));
  const title = await page.$eval(`${tid('hit')} h3`, (h) => h.textContent);
  check(/Quillmoor/.test(title), `first hit is ${title}`);
  await axe(page, 'add');
});

await step('feeds-and-keys-views', page, async () => {
  await page.click('.tab[data-view="feeds"]');
  await page.waitForSelector('#feeds p, #feeds table');
  await axe(page, 'feeds');
  await page.click('.tab[data-view="keys"]');
  await axe(page, 'keys');
});

await step('keyboard-only-ask', page, async () => {
  await page.goto(`${base}/?fresh=1#ask`, { waitUntil: 'load' });
  await waitFor(page, () => /Ready/.test(document.querySelector('[data-testid="status"]').textContent));
  const reached = new Set();
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => document.activeElement.dataset.testid || document.activeElement.dataset.view || '');
    reached.add(id);
    if (id === 'question') break;
  }
  for (const v of ['ask', 'search', 'brief', 'add', 'feeds', 'keys', 'question']) check(reached.has(v), `Tab never reached ${v} (reached ${[...reached]})`);
  await page.keyboard.type('What did SIDBI announce?');
  await page.keyboard.press('Enter');
  await page.waitForSelector(tid('citation'));
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.dataset.testid === 'citation')) break;
  }
  await page.keyboard.press('Enter');
  await page.waitForSelector(`${tid('article-view')} ${tid('highlight')}`);
  check(await page.evaluate(() => document.activeElement.dataset.testid === 'article-close'), 'focus not in the article view');
  await page.keyboard.press('Escape');
  check(!(await page.isVisible(tid('article-view'))), 'Escape did not close the article view');
  await axe(page, 'ask');
});

// Screenshots of each view at desktop and phone sizes.
for (const [w, h] of [[1280, 800], [390, 844]]) {
  await page.setViewportSize({ width: w, height: h });
  for (const [view, prep] of [
    ['ask', async () => { await page.fill(tid('question'), 'What did SIDBI announce?'); await page.click(tid('ask')); await page.waitForSelector(tid('citation')); }],
    ['search', async () => { await page.fill(tid('search-query'), 'SIDBI'); await page.click(tid('search')); await page.waitForSelector(tid('hit')); }],
    ['brief', async () => { await page.fill(tid('brief-topic'), 'SIDBI'); await page.click(tid('brief')); await page.waitForSelector(tid('brief-source')); }],
    ['add', async () => {}],
    ['feeds', async () => { await page.waitForSelector('#feeds p, #feeds table'); }],
    ['keys', async () => {}],
  ]) {
    await page.click(`.tab[data-view="${view}"]`);
    await prep();
    await shot(page, `view-${view}-${w}x${h}`);
  }
}
if (problems.length) results.push({ name: 'no-console-errors', ok: false, error: problems.join('; ') });

await browser.close();
const summary = { ok: results.every((r) => r.ok), results, axeViolations, axeByView, problems };
writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
console.log(`axe violations: ${axeViolations}`);
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
