// newsdesk web page: ask, search, brief, read the source, add documents, manage feeds.
// One module, no dependencies; every request goes to this origin's /v1 API.

const $ = (id) => document.getElementById(id);
const KEY_READ = 'newsdesk.readKey';
const KEY_WRITE = 'newsdesk.writeKey';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------- small DOM helpers ----------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'testid') e.dataset.testid = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

function day(rfc3339) {
  return rfc3339 ? rfc3339.slice(0, 10) : 'undated';
}

function metaLine(c) {
  return [c.source || 'unknown source', day(c.published)].join(' · ');
}

// Splits `text` at UTF-8 byte offsets [start, end) into three strings: the API's offsets are
// bytes into the UTF-8 body, JavaScript strings count UTF-16 units.
function splitBytes(text, start, end) {
  const bytes = encoder.encode(text);
  const s = Math.max(0, Math.min(start, bytes.length));
  const e = Math.max(s, Math.min(end, bytes.length));
  return [
    decoder.decode(bytes.subarray(0, s)),
    decoder.decode(bytes.subarray(s, e)),
    decoder.decode(bytes.subarray(e)),
  ];
}

function withMark(text, start, end, testid) {
  const [before, mid, after] = splitBytes(text, start, end);
  if (!mid) return [text];
  return [before, el('mark', { testid }, mid), after];
}

// ---------- keys and requests ----------

function keys() {
  return {
    read: sessionStorage.getItem(KEY_READ) || '',
    write: sessionStorage.getItem(KEY_WRITE) || '',
  };
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, { json, body, write = false } = {}) {
  const k = keys();
  const key = write ? k.write : k.read || k.write;
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  let payload = body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/octet-stream';
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: payload });
  } catch (e) {
    throw new ApiError(0, 'unreachable', `newsdesk did not answer (${e.message})`);
  }
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const err = data && data.error ? data.error : { code: `http_${resp.status}`, message: resp.statusText };
    throw new ApiError(resp.status, err.code, err.message);
  }
  return data;
}

function explain(err, write = false) {
  if (err.status === 401) {
    const which = write ? 'write key' : 'read key';
    const had = write ? keys().write : keys().read || keys().write;
    const why = had
      ? `the ${which} you entered was not accepted`
      : `this server needs a ${which} and none is set`;
    return el('div', { class: 'card error', role: 'alert', testid: 'error' },
      el('strong', {}, 'Not authorised (401): '), `${why}. `,
      'Open ', el('button', { type: 'button', class: 'cite', onclick: () => show('keys') }, 'Keys'),
      ` to enter the ${which} the server was started with.`,
      el('p', { class: 'meta' }, `Server said ${err.code}: ${err.message}`));
  }
  return el('div', { class: 'card error', role: 'alert', testid: 'error' },
    el('strong', {}, `Error ${err.status || ''} ${err.code}: `), err.message);
}

async function run(target, button, work, write = false) {
  target.replaceChildren(el('p', { class: 'meta' }, 'Working…'));
  if (button) button.disabled = true;
  try {
    await work();
  } catch (err) {
    target.replaceChildren(explain(err, write));
  } finally {
    if (button) button.disabled = false;
  }
}

// ---------- views ----------

const views = ['ask', 'search', 'brief', 'add', 'feeds', 'keys'];

function show(view) {
  if (!views.includes(view)) view = 'ask';
  for (const v of views) $(`view-${v}`).hidden = v !== view;
  for (const t of document.querySelectorAll('.tab')) {
    if (t.dataset.view === view) t.setAttribute('aria-current', 'page');
    else t.removeAttribute('aria-current');
  }
  if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
  if (view === 'feeds') loadFeeds();
  if (view === 'keys') {
    $('read-key').value = keys().read;
    $('write-key').value = keys().write;
  }
}

// ---------- article view ----------

async function openArticle(articleId, start, end) {
  const dialog = $('article-view');
  $('article-title').textContent = 'Loading…';
  $('article-meta').replaceChildren();
  $('article-body').replaceChildren();
  if (!dialog.open) dialog.showModal();
  try {
    const a = await api('GET', `/v1/documents/${encodeURIComponent(articleId)}`);
    $('article-title').textContent = a.title;
    const parts = [a.source || 'unknown source', a.published ? day(a.published) : 'undated'];
    if (a.date_inferred) parts.push('date inferred');
    if (a.category) parts.push(a.category);
    if (a.author) parts.push(`by ${a.author}`);
    const meta = [parts.join(' · ')];
    if (a.url) meta.push(' · ', el('a', { href: a.url, rel: 'noopener noreferrer', target: '_blank' }, 'original article'));
    $('article-meta').replaceChildren(...meta);
    const body = $('article-body');
    if (Number.isInteger(start) && Number.isInteger(end) && end > start) {
      body.replaceChildren(...withMark(a.body, start, end, 'highlight'));
      const mark = body.querySelector('mark');
      if (mark) mark.scrollIntoView({ block: 'center' });
    } else {
      body.replaceChildren(a.body);
    }
  } catch (err) {
    $('article-title').textContent = 'Could not open the article';
    $('article-body').replaceChildren(explain(err));
  }
  $('article-close').focus();
}

function citeButton(c, label) {
  return el('button', {
    type: 'button', class: 'cite', testid: 'citation',
    'data-article-id': c.article_id,
    onclick: () => openArticle(c.article_id, c.start, c.end),
  }, label || c.title);
}

// ---------- ask ----------

function confidenceWords(p) {
  if (p >= 0.75) return ['high', 'Likely answered'];
  if (p >= 0.45) return ['medium', 'Possibly answered'];
  return ['low', 'Weak answer: check the sources'];
}

async function ask(e) {
  e.preventDefault();
  const out = $('answer');
  const question = $('question').value.trim();
  if (!question) return;
  await run(out, e.submitter, async () => {
    const j = await api('POST', '/v1/ask', { json: { question } });
    if (!j.answered) {
      out.replaceChildren(el('div', { class: 'card unanswered', testid: 'unanswered' },
        el('p', {}, j.explanation || 'The corpus does not answer this question.')));
      return;
    }
    const [cls, words] = confidenceWords(j.confidence);
    out.replaceChildren(
      el('p', { class: 'meta' }, el('span', { class: `confidence ${cls}`, testid: 'confidence' }, words),
        ` (${Math.round(j.confidence * 100)} % confidence that the first sentence answers the question)`),
      el('ol', { class: 'plain' }, j.answer.map((a) => el('li', { class: 'card', testid: 'answer-sentence' },
        el('p', { class: 'answer-sentence' }, a.text),
        el('p', { class: 'meta' }, metaLine(a.citation), ' · ', citeButton(a.citation, `Read in “${a.citation.title}”`))))),
    );
  });
}

// ---------- search ----------

function filterSpec(fromId, toId, sourceId, categoryId) {
  const f = {};
  const from = $(fromId).value;
  const to = $(toId).value;
  if (from) f.published_after = from;
  if (to) f.published_before = to;
  if (sourceId && $(sourceId).value) f.sources = [$(sourceId).value];
  if (categoryId && $(categoryId).value) f.categories = [$(categoryId).value];
  return Object.keys(f).length ? f : undefined;
}

async function search(e) {
  e.preventDefault();
  const out = $('hits');
  const query = $('search-query').value.trim();
  if (!query) return;
  await run(out, e.submitter, async () => {
    const k = Number($('search-k').value) || 10;
    const j = await api('POST', '/v1/search', {
      json: {
        query, k, group_by_article: true, mode: $('search-mode').value,
        filters: filterSpec('filter-from', 'filter-to', 'filter-source', 'filter-category'),
      },
    });
    if (!j.hits.length) {
      out.replaceChildren(el('p', { class: 'card unanswered', testid: 'no-hits' }, 'Nothing matches this search and these filters.'));
      return;
    }
    out.replaceChildren(
      el('p', { class: 'meta' }, `${j.hits.length} article${j.hits.length === 1 ? '' : 's'}, best first`),
      ...j.hits.map((h) => {
        const c = h.citation;
        const rel = [h.highlight.start - c.start, h.highlight.end - c.start];
        return el('article', { class: 'card hit', testid: 'hit', 'data-article-id': c.article_id },
          el('h3', {}, el('button', {
            type: 'button', class: 'cite', testid: 'hit-open',
            onclick: () => openArticle(c.article_id, h.highlight.start, h.highlight.end),
          }, c.title)),
          el('p', { class: 'meta' }, metaLine(c), h.category ? ` · ${h.category}` : ''),
          el('p', {}, ...withMark(h.text, rel[0], rel[1], 'hit-highlight')));
      }),
    );
  });
}

async function loadFacets() {
  const f = await api('GET', '/v1/facets');
  const fill = (id, values, any) => {
    const sel = $(id);
    const keep = sel.value;
    sel.replaceChildren(el('option', { value: '' }, any),
      ...values.map((v) => el('option', { value: v.name }, `${v.name} (${v.count})`)));
    sel.value = keep;
  };
  fill('filter-source', f.sources, 'Any source');
  fill('filter-category', f.categories, 'Any category');
  if (f.published) {
    for (const id of ['filter-from', 'filter-to', 'brief-from', 'brief-to']) {
      $(id).min = day(f.published.earliest);
      $(id).max = day(f.published.latest);
    }
  }
  return f;
}

// ---------- brief ----------

let briefMarkdown = '';
let briefUrl = '';

async function brief(e) {
  e.preventDefault();
  const out = $('brief-output');
  const topic = $('brief-topic').value.trim();
  if (!topic) return;
  $('brief-actions').hidden = true;
  await run(out, e.submitter, async () => {
    const j = await api('POST', '/v1/brief', {
      json: {
        topic, max_words: Number($('brief-words').value) || 200,
        filters: filterSpec('brief-from', 'brief-to'),
      },
    });
    const byN = new Map(j.sources.map((s) => [s.n, s]));
    const bullet = (b) => el('li', { testid: 'brief-bullet' }, b.text, ' ',
      b.citations.map((n, i) => {
        const s = byN.get(n);
        const open = i === 0 ? () => openArticle(s.article_id, b.start, b.end) : () => openArticle(s.article_id);
        return el('button', { type: 'button', class: 'cite', 'aria-label': `source ${n}: ${s.title}`, onclick: open }, `[${n}]`);
      }));
    // One section per story: its headline, how many outlets report it, then its bullets.
    const sections = (j.sections || []).map((sec) => el('section', { testid: 'brief-section' },
      el('h4', {}, sec.headline),
      el('p', { class: 'meta' }, `Reported by ${sec.reported_by} ${sec.reported_by === 1 ? 'source' : 'sources'}`),
      el('ul', {}, sec.bullets.map((i) => bullet(j.bullets[i])))));
    const bullets = !j.bullets.length
      ? el('p', { class: 'meta' }, 'The corpus has nothing on this topic.')
      : sections.length ? el('div', {}, sections) : el('ul', {}, j.bullets.map(bullet));
    out.replaceChildren(
      el('h3', {}, j.title),
      el('p', { class: 'meta' }, `${j.words} words · made ${j.generated_at.slice(0, 16).replace('T', ' ')} UTC`),
      el('h3', {}, 'Key points'), bullets,
      el('h3', {}, 'Sources'),
      el('ol', {}, j.sources.map((s) => el('li', {},
        el('button', {
          type: 'button', class: 'cite', testid: 'brief-source', 'data-article-id': s.article_id,
          onclick: () => openArticle(s.article_id),
        }, s.title),
        ` — ${s.source || 'unknown source'}, ${day(s.published)}`))),
    );
    briefMarkdown = j.markdown;
    if (briefUrl) URL.revokeObjectURL(briefUrl);
    briefUrl = URL.createObjectURL(new Blob([j.markdown], { type: 'text/markdown' }));
    const dl = $('download-markdown');
    dl.href = briefUrl;
    dl.download = `${topic.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'brief'}.md`;
    $('brief-actions').hidden = false;
  });
}

async function copyMarkdown() {
  const button = $('copy-markdown');
  try {
    await navigator.clipboard.writeText(briefMarkdown);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy refused by the browser: use Download';
  }
  setTimeout(() => { button.textContent = 'Copy Markdown'; }, 2500);
}

// ---------- add documents ----------

async function addDocuments(e) {
  e.preventDefault();
  const out = $('add-result');
  const file = $('add-file').files[0];
  const text = $('add-document').value;
  if (!file && !text.trim()) {
    out.replaceChildren(el('p', { class: 'card error', role: 'alert' }, 'Paste some text or choose a file first.'));
    return;
  }
  await run(out, e.submitter, async () => {
    const body = file ? new Uint8Array(await file.arrayBuffer()) : encoder.encode(text);
    const j = await api('POST', '/v1/documents', { body, write: true });
    out.replaceChildren(el('div', { class: 'card', testid: 'add-report' },
      el('p', {}, `${j.added} added · ${j.updated} updated · ${j.unchanged} unchanged · ${j.failed.length} refused`),
      j.ids.length ? el('ul', {}, j.ids.map((id) => el('li', {},
        el('button', { type: 'button', class: 'cite', testid: 'added-id', onclick: () => openArticle(id) }, id)))) : null,
      j.failed.length ? el('ul', {}, j.failed.map((f) => el('li', { class: 'error' }, `item ${f.index}: ${f.error}`))) : null));
    $('add-file').value = '';
    refreshStatus();
    loadFacets().catch(() => {});
  }, true);
}

// ---------- feeds ----------

function feedRow(f) {
  const s = f.status;
  const failing = s.consecutive_failures > 0;
  const state = s.last_outcome
    ? `${s.last_outcome}${s.last_http_status ? ` (HTTP ${s.last_http_status})` : ''}`
    : 'not fetched yet';
  return el('tr', { testid: 'feed', 'data-feed-id': f.id },
    el('td', {}, el('strong', {}, f.title || f.url), el('br'), el('span', { class: 'meta' }, f.url)),
    el('td', {}, [f.source, f.category].filter(Boolean).join(' · ') || '—'),
    el('td', {}, el('span', { class: `feed-status ${failing ? 'failing' : 'ok'}` }, state),
      s.last_error ? el('div', { class: 'meta' }, s.last_error) : null,
      el('div', { class: 'meta' }, `${s.articles_total} articles · next ${s.next_fetch_at.slice(0, 16).replace('T', ' ')} UTC`)),
    el('td', {},
      el('button', { type: 'button', class: 'secondary', testid: 'feed-refresh', onclick: (e) => feedAction(e, 'POST', `/v1/feeds/${encodeURIComponent(f.id)}/refresh`) }, 'Refresh'),
      ' ',
      el('button', { type: 'button', class: 'secondary', testid: 'feed-remove', onclick: (e) => feedAction(e, 'DELETE', `/v1/feeds/${encodeURIComponent(f.id)}`) }, 'Remove')));
}

async function loadFeeds() {
  const out = $('feeds');
  await run(out, null, async () => {
    const j = await api('GET', '/v1/feeds');
    if (!j.feeds.length) {
      out.replaceChildren(el('p', { class: 'meta' }, 'No feeds yet.'));
      return;
    }
    out.replaceChildren(el('table', {},
      el('thead', {}, el('tr', {}, ['Feed', 'Labels', 'Status', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, j.feeds.map(feedRow))));
  });
}

async function feedAction(e, method, path) {
  const button = e.currentTarget;
  button.disabled = true;
  try {
    await api(method, path, { write: true });
    await loadFeeds();
  } catch (err) {
    $('feeds').prepend(explain(err, true));
  } finally {
    button.disabled = false;
  }
}

async function addFeed(e) {
  e.preventDefault();
  const json = { url: $('feed-url').value.trim() };
  if ($('feed-source').value.trim()) json.source = $('feed-source').value.trim();
  if ($('feed-category').value.trim()) json.category = $('feed-category').value.trim();
  try {
    await api('POST', '/v1/feeds', { json, write: true });
    $('feed-url').value = '';
    await loadFeeds();
  } catch (err) {
    $('feeds').prepend(explain(err, true));
  }
}

// ---------- keys and status ----------

function saveKeys(e) {
  e.preventDefault();
  const set = (name, v) => (v ? sessionStorage.setItem(name, v) : sessionStorage.removeItem(name));
  set(KEY_READ, $('read-key').value.trim());
  set(KEY_WRITE, $('write-key').value.trim());
  $('keys-result').textContent = 'Keys saved for this browser tab.';
  refreshStatus();
}

function clearKeys() {
  sessionStorage.removeItem(KEY_READ);
  sessionStorage.removeItem(KEY_WRITE);
  $('read-key').value = '';
  $('write-key').value = '';
  $('keys-result').textContent = 'Keys forgotten.';
  refreshStatus();
}

async function refreshStatus() {
  const status = $('status');
  let ready;
  try {
    ready = await api('GET', '/ready');
  } catch (err) {
    status.classList.add('down');
    status.textContent = err.status === 503 ? `Not ready: ${err.message}` : `Not ready: ${err.code}`;
    if (err.status === 503) setTimeout(refreshStatus, 2000);
    return;
  }
  status.classList.remove('down');
  try {
    const f = await loadFacets();
    const model = ready.model ? ` · model ${ready.model}` : '';
    status.textContent = `Ready · ${f.articles} articles${model}`;
    $('notice').hidden = true;
  } catch (err) {
    if (err.status === 401) {
      status.textContent = 'Ready · needs a read key';
      const n = $('notice');
      n.replaceChildren(explain(err));
      n.hidden = false;
    } else {
      status.textContent = `Ready · ${err.code}: ${err.message}`;
    }
  }
}

// ---------- wiring ----------

for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => show(t.dataset.view));
$('ask-form').addEventListener('submit', ask);
$('search-form').addEventListener('submit', search);
$('brief-form').addEventListener('submit', brief);
$('add-form').addEventListener('submit', addDocuments);
$('feed-form').addEventListener('submit', addFeed);
$('keys-form').addEventListener('submit', saveKeys);
$('keys-clear').addEventListener('click', clearKeys);
$('copy-markdown').addEventListener('click', copyMarkdown);
$('article-close').addEventListener('click', () => $('article-view').close());
window.addEventListener('hashchange', () => show(location.hash.slice(1)));
show(location.hash.slice(1) || 'ask');
refreshStatus();
