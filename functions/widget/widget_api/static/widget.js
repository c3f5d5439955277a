/*! Knowrithm-compatible chat widget. One tag:
 *   <script src="https://API/widget.js" data-agent-id="AGENT_ID" async></script>
 * Plain JS, no framework, no eval, no innerHTML, no inline styles: all styles live in the shadow root's
 * constructable stylesheet, and server text is only ever set as text. See docs/widget.md.
 */
(() => {
  'use strict';
  if (window.KnowrithmWidget && window.KnowrithmWidget.version) return; // loaded twice: keep the first

  const script = document.currentScript || document.querySelector('script[data-agent-id][src*="widget.js"]');
  if (!script) return;
  const data = script.dataset;
  const agentId = (data.agentId || '').trim();
  const NS = 'http://www.w3.org/2000/svg';
  const pending = { open: false, metadata: {} };
  let ui = null; // the rendered widget, once the server said yes
  let session = {};
  let store = null;
  let wsUrl = ''; // the real-time API (widget config's websocket_url, or data-websocket-url)

  const emit = (name, detail) => window.dispatchEvent(new CustomEvent('knowrithm:' + name, { detail: detail || {} }));

  // --- the JavaScript API (defined at once, so calls made before the widget is ready are kept) ---------
  window.KnowrithmWidget = {
    version: '1.0.0',
    open: () => (ui ? ui.open() : (pending.open = true)),
    close: () => ui && ui.close(),
    toggle: () => (ui ? (ui.isOpen() ? ui.close() : ui.open()) : (pending.open = !pending.open)),
    updateMetadata(values) {
      if (!values || typeof values !== 'object' || Array.isArray(values)) {
        return Promise.reject(new TypeError('updateMetadata expects a plain object'));
      }
      Object.assign(pending.metadata, values);
      if (!session.conversationId) return Promise.resolve({ queued: true, metadata: { ...pending.metadata } });
      const sent = { ...pending.metadata };
      pending.metadata = {};
      return authed('PATCH', '/conversation/' + enc(session.conversationId), { metadata: sent }).then(
        (r) => r.conversation.metadata,
      );
    },
  };
  if (!agentId) return console.error('[Knowrithm] the widget script needs data-agent-id');

  // --- configuration: defaults < server widget_config < data-* attributes ----------------------------
  const base = (data.apiUrl || new URL(script.src, location.href).origin + '/api').replace(/\/+$/, '').replace(/\/v\d+$/, '');
  const DEFAULTS = {
    title: '',
    welcome: '',
    primaryColor: '#2563eb',
    position: 'bottom-right',
    theme: 'light',
    buttonText: '',
    showBranding: true,
    autoOpen: false,
    initialDelay: 0,
    persistSession: true,
    zIndex: 999999,
    phoneField: 'optional',
    consentCheckbox: false,
    consentText: 'I agree that my details are used to answer my questions.',
    privacyPolicyUrl: '',
  };
  const ATTRIBUTES = {
    title: ['title'],
    welcome: ['welcome'],
    primaryColor: ['primaryColor', 'color'],
    position: ['position'],
    theme: ['theme'],
    buttonText: ['buttonText'],
    showBranding: ['showBranding'],
    autoOpen: ['autoOpen', 'open'],
    initialDelay: ['initialDelay'],
    persistSession: ['persistSession'],
    zIndex: ['zIndex'],
  };
  const POSITIONS = { right: 'bottom-right', left: 'bottom-left', top: 'top-right', bottom: 'bottom-right' };
  const flag = (v) => (typeof v === 'boolean' ? v : /^(|1|true|yes|on)$/i.test(String(v).trim()) ? true : /^(0|false|no|off)$/i.test(String(v).trim()) ? false : undefined);
  const int = (v, max) => (/^\d+$/.test(String(v).trim()) && +v <= max ? +v : undefined);
  const NORMALIZE = {
    primaryColor: (v) => (/^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(String(v).trim()) ? String(v).trim() : undefined),
    position: (v) => {
      const p = String(v).trim().toLowerCase();
      return /^(top|bottom)-(left|right)$/.test(p) ? p : POSITIONS[p];
    },
    theme: (v) => (/^(light|dark|auto)$/.test(v) ? v : undefined),
    showBranding: flag,
    autoOpen: flag,
    persistSession: flag,
    consentCheckbox: flag,
    initialDelay: (v) => int(v, 600000),
    zIndex: (v) => int(v, 2147483647),
    phoneField: (v) => (/^(optional|required|hidden)$/.test(v) ? v : undefined),
  };
  function settle(server) {
    const out = { ...DEFAULTS };
    const take = (key, value) => {
      if (value == null) return;
      const v = NORMALIZE[key] ? NORMALIZE[key](value) : String(value).trim();
      if (v !== undefined && v !== '') out[key] = v;
    };
    for (const key in DEFAULTS) take(key, server[key]);
    for (const key in ATTRIBUTES) for (const name of ATTRIBUTES[key]) take(key, data[name]);
    return out;
  }

  // --- HTTP ------------------------------------------------------------------------------------------
  const enc = encodeURIComponent;
  function failure(status, message, body) {
    const error = new Error(message);
    error.status = status;
    error.body = body;
    return error;
  }
  async function call(method, path, body, token) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    let response;
    try {
      response = await fetch(base + '/v1' + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
      });
    } catch (e) {
      throw failure(0, 'The chat service cannot be reached right now.');
    }
    const json = await response.json().catch(() => ({}));
    if (!response.ok || json.success === false) {
      throw failure(response.status, json.error || json.message || json.detail || 'Error ' + response.status, json);
    }
    return json;
  }
  // A lead-token call; on 401 it re-registers silently once with the stored details and retries.
  async function authed(method, path, body) {
    try {
      return await call(method, path, body, session.accessToken);
    } catch (e) {
      if (e.status !== 401 || !session.lead) throw e;
      await register(session.lead);
      return call(method, path, body, session.accessToken);
    }
  }

  // --- session (localStorage unless persistSession is off) ----------------------------------------------
  const KEY = 'knowrithm-widget::' + agentId;
  function save() {
    try {
      if (store) store.setItem(KEY, JSON.stringify({ ...session, updatedAt: new Date().toISOString() }));
    } catch (e) {
      /* storage full or blocked: the chat still works for this page view */
    }
  }
  function restore() {
    try {
      return JSON.parse((store && store.getItem(KEY)) || '{}') || {};
    } catch (e) {
      return {};
    }
  }
  function forget() {
    session = {};
    try {
      if (store) store.removeItem(KEY);
    } catch (e) {
      /* ignore */
    }
  }

  async function register(lead) {
    const result = await call('POST', '/lead/register', { ...lead, agent_id: agentId, source: 'website_chatbot' });
    const token = result.access_token || (result.tokens && result.tokens.access_token);
    if (!token) throw failure(500, 'The server did not return a visitor token.');
    session.accessToken = token;
    session.refreshToken = result.refresh_token || (result.tokens && result.tokens.refresh_token) || null;
    session.lead = lead;
    session.leadId = result.lead && result.lead.id;
    save();
    return result;
  }
  async function startConversation() {
    const metadata = { ...pending.metadata, source: 'widget', page_url: location.href, page_title: document.title };
    if (data.companyId) metadata.company_id = data.companyId;
    pending.metadata = {};
    const result = await authed('POST', '/conversation', { agent_id: agentId, title: 'Website Chat', metadata });
    session.conversationId = (result.conversation && result.conversation.id) || result.id;
    save();
    emit('conversation.started', { conversationId: session.conversationId, agentId });
    return session.conversationId;
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  async function messages() {
    const page = await authed('GET', '/conversation/' + enc(session.conversationId) + '/messages?page=1&per_page=100');
    return page.messages || [];
  }
  // Chat answers inline; a queued answer (202 + task) is polled through its task until it is done or failed
  // (a server without task ids is polled through the messages until the reply appears).
  async function ask(text) {
    const result = await authed('POST', '/conversation/' + enc(session.conversationId) + '/chat', { message: text });
    if (result.assistant_message) return result.assistant_message;
    if (result.handoff && !result.task_id) return null; // a person has the conversation: the answer is theirs
    for (let waited = 0; waited < 90000; waited += 1000) {
      await sleep(1000);
      if (replies[result.message_id]) return replies[result.message_id];
      if (rt && rt.up()) continue; // the socket brings the answer: no polling while it is up
      if (result.task_id) {
        const task = await authed('GET', '/tasks/' + enc(result.task_id) + '/status');
        const done = task.result && task.result.assistant_message;
        if (done) return done;
        if (task.status === 'failed') throw failure(502, (task.error && task.error.message) || 'No answer this time; please try again.');
        continue;
      }
      const list = await messages();
      const at = list.findIndex((m) => m.id === result.message_id);
      const reply = list.find((m, i) => m.role === 'assistant' && (m.reply_to === result.message_id || (at >= 0 && i > at)));
      if (reply) return reply;
    }
    throw failure(504, 'The answer is taking too long; please try again.');
  }

  // --- real time: one WebSocket per conversation; while it is down (or absent) an open widget polls ---------
  const replies = {}; // pushed answers by the question they reply to
  let rt = null;
  function live(url, named) {
    let ws = null;
    let tries = 0;
    let timer = 0;
    let poller = 0;
    let operator = named || ''; // after a reload: the last operator who wrote, for the "left" notice
    const up = () => !!ws && ws.readyState === 1;
    const showAll = (list) => list.forEach(ui.show);
    function poll() {
      clearTimeout(poller);
      poller = setTimeout(() => {
        if (up() || !session.conversationId) return;
        (ui.isOpen() ? messages().then(showAll) : Promise.resolve()).catch(() => 0).then(poll);
      }, 6000);
    }
    function onPush(data) {
      const m = data.message;
      if (data.type === 'message' && m) {
        if (m.reply_to) replies[m.reply_to] = m;
        if (ui.show(m)) emit('message.received', { message: m, conversationId: session.conversationId });
      } else if (data.type === 'conversation.handoff') {
        operator = (data.assignee && data.assignee.name) || 'A team member';
        ui.note(operator + ' joined the conversation');
      } else if (data.type === 'conversation.released') {
        ui.note((operator || 'The team member') + ' left the conversation');
      }
    }
    function connect() {
      if (!url || typeof WebSocket !== 'function' || !session.conversationId) return poll();
      const q = new URLSearchParams({ token: session.accessToken, conversation_id: session.conversationId, agent_id: agentId });
      try {
        ws = new WebSocket(url + '?' + q);
      } catch (e) {
        return retry();
      }
      const me = ws;
      me.onopen = () => {
        if (tries) messages().then(showAll, () => 0); // catch up on what came while it was down
        tries = 0;
      };
      me.onmessage = (e) => {
        try {
          onPush(JSON.parse(e.data));
        } catch (err) {
          /* not ours */
        }
      };
      me.onclose = () => me === ws && retry();
    }
    function retry() {
      ws = null;
      poll();
      clearTimeout(timer);
      timer = setTimeout(connect, Math.min(30000, 1000 * 1.5 ** tries++) * (0.5 + Math.random() / 2));
    }
    setInterval(() => up() && ws.send('{"action":"ping"}'), 240000); // API Gateway closes idle sockets at 10 min
    connect();
    return { up };
  }

  // --- DOM helpers: text only, never HTML -----------------------------------------------------------
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const key in props || {}) {
      const value = props[key];
      if (value == null || value === false) continue;
      if (key === 'text') el.textContent = value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key === 'className' ? 'class' : key, value === true ? '' : value);
    }
    for (const child of children.flat()) if (child != null && child !== false) el.append(child);
    return el;
  }
  function icon(d) {
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const path = document.createElementNS(NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
    return svg;
  }
  // Links are made only for http(s) and mailto URLs, opened in a new tab without access to this page.
  function safeLink(href, label) {
    let url;
    try {
      url = new URL(href, location.href);
    } catch (e) {
      return null;
    }
    if (!/^(https?|mailto):$/.test(url.protocol)) return null;
    return h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer nofollow', text: label || url.href });
  }
  function richText(text, into) {
    for (const block of String(text).split(/\n{2,}/)) {
      const p = h('p');
      const urls = /\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;
      let last = 0;
      for (let m; (m = urls.exec(block)); last = m.index + m[0].length) {
        p.append(block.slice(last, m.index), safeLink(m[0]) || m[0]);
      }
      p.append(block.slice(last));
      into.append(p);
    }
  }

  // Answers: a small Markdown subset (paragraphs, line breaks, lists, ``` code, `code`, **bold**, *italic*,
  // [links](https://...)) and [Source n] citations, built as DOM nodes; the answer is never parsed as HTML.
  function inline(text, into, cite) {
    const re = /`([^`\n]+)`|\*\*(.+?)\*\*|\*(\S[^*]*?)\*|\[Source (\d+)\]|\[([^\]\n]+)\]\(([^()\s]+)\)|https?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;
    let last = 0;
    for (let m; (m = re.exec(text)); last = re.lastIndex) {
      into.append(
        text.slice(last, m.index),
        m[1] ? h('code', { text: m[1] }) : m[2] ? inline(m[2], h('strong'), cite) : m[3] ? inline(m[3], h('em'), cite) : m[4] ? cite(m[4], m[0]) : (m[5] ? safeLink(m[6], m[5]) : safeLink(m[0])) || m[0],
      );
    }
    into.append(text.slice(last));
    return into;
  }
  function markdown(text, into, cite) {
    let list, para, code;
    for (const line of String(text).split('\n')) {
      const fence = /^\s*```/.test(line);
      const item = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)/.exec(line);
      if (code) {
        if (fence) code = null;
        else code.textContent += (code.textContent ? '\n' : '') + line;
      } else if (fence) {
        into.append(h('pre', {}, (code = h('code'))));
        list = para = null;
      } else if (item) {
        const tag = item[1] ? 'UL' : 'OL';
        if (!list || list.tagName !== tag) into.append((list = h(tag, { start: item[2] })));
        list.append(inline(item[3], h('li'), cite));
        para = null;
      } else if (!line.trim()) {
        list = para = null;
      } else {
        if (para) para.append(h('br'));
        else into.append((para = h('p')));
        inline(line.trim(), para, cite);
        list = null;
      }
    }
  }

  // Readable text on the primary colour (WCAG contrast, black or white, whichever is higher).
  function textOn(hex) {
    let c = hex.slice(1);
    if (c.length < 6) c = [...c.slice(0, 3)].map((x) => x + x).join('');
    const lum = [0, 2, 4]
      .map((i) => parseInt(c.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    return (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? '#000000' : '#ffffff';
  }

  function css(cfg) {
    const [v, hz] = cfg.position.split('-');
    const dark = '--bg:#111827;--fg:#f9fafb;--mu:#d1d5db;--bd:#4b5563;--ab:#1f2937;--er:#fca5a5;';
    return `:host{all:initial;position:fixed;z-index:${cfg.zIndex};${v}:0;${hz}:0}
[hidden]{display:none!important}
.kw{--c:${cfg.primaryColor};--ct:${textOn(cfg.primaryColor)};--bg:#fff;--fg:#111827;--mu:#4b5563;--bd:#9ca3af;--ab:#f3f4f6;--er:#b91c1c;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
.kw.dark{${dark}}@media (prefers-color-scheme:dark){.kw.auto{${dark}}}
*{box-sizing:border-box}
button,input,textarea{font:inherit;color:inherit}
:focus-visible{outline:2px solid var(--c);outline-offset:2px}
.launcher{position:fixed;${v}:20px;${hz}:20px;display:flex;align-items:center;gap:8px;min-width:56px;height:56px;padding:0 16px;justify-content:center;border:0;border-radius:28px;background:var(--c);color:var(--ct);cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25)}
.launcher svg{width:26px;height:26px;fill:currentColor}
.panel{position:fixed;${v}:88px;${hz}:20px;width:min(380px,calc(100vw - 24px));height:min(600px,calc(100vh - 110px));display:flex;flex-direction:column;background:var(--bg);border:1px solid var(--bd);border-radius:16px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.3)}
.head{display:flex;align-items:center;gap:10px;padding:12px 14px;background:var(--c);color:var(--ct)}
.head h2{flex:1;margin:0;font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.avatar{width:32px;height:32px;border-radius:50%;display:grid;place-items:center;font-weight:700;background:var(--ct);color:var(--c);overflow:hidden;flex:none}
.avatar img{width:100%;height:100%;object-fit:cover}
.close{border:0;background:transparent;color:inherit;width:36px;height:36px;border-radius:8px;cursor:pointer;display:grid;place-items:center}
.close svg{width:20px;height:20px;fill:currentColor}
.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px}
.msg{max-width:85%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.msg p{margin:0}.msg p+p{margin-top:8px}
.msg a{color:inherit;text-decoration:underline}
.assistant{align-self:flex-start;background:var(--ab);border-bottom-left-radius:4px}
.user{align-self:flex-end;background:var(--c);color:var(--ct);border-bottom-right-radius:4px}
.note{align-self:center;color:var(--mu);font-size:13px;text-align:center}
.sources{margin:6px 0 0;padding-left:18px;font-size:12px}
.who{display:block;font-size:12px;font-weight:600;color:var(--mu)}
.msg ul,.msg ol{margin:4px 0;padding-left:20px;white-space:normal}
.msg pre{margin:6px 0;padding:8px;background:var(--bg);border-radius:6px;overflow-x:auto;white-space:pre}
.msg code{font:12px/1.4 ui-monospace,monospace}
sup a{padding:0 2px}
.typing{align-self:flex-start;background:var(--ab);display:flex;gap:4px;padding:13px}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--mu);animation:kwd 1s infinite alternate}
.typing i+i{animation-delay:.2s}.typing i+i+i{animation-delay:.4s}
@keyframes kwd{to{opacity:.2;transform:translateY(-3px)}}
@media (prefers-reduced-motion:reduce){.typing i{animation:none}}
form{padding:12px 14px;border-top:1px solid var(--bd);display:flex;gap:8px}
.lead{flex-direction:column;overflow-y:auto;max-height:70%}
.lead label{display:flex;flex-direction:column;gap:2px;font-size:13px}
.lead .check{flex-direction:row;align-items:flex-start;gap:8px}
input,textarea{border:1px solid var(--bd);border-radius:8px;padding:8px 10px;background:var(--bg)}
input::placeholder,textarea::placeholder{color:var(--mu);opacity:1}
textarea{flex:1;resize:none;min-height:40px;max-height:120px}
.primary{border:0;border-radius:8px;padding:9px 14px;background:var(--c);color:var(--ct);font-weight:600;cursor:pointer}
.primary:disabled{opacity:.7;cursor:progress}
.send{display:grid;place-items:center;width:44px;padding:0}
.send svg{width:20px;height:20px;fill:currentColor}
.error{color:var(--er);margin:0;font-size:13px}
.error:empty{display:none}
.brand{margin:0;padding:6px;text-align:center;font-size:11px;color:var(--mu)}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.panel{${v}:0;${hz}:0;width:100vw;height:100dvh;border-radius:0}}`;
  }

  // --- the widget ------------------------------------------------------------------------------------
  function build(cfg, agent) {
    const host = h('div', { 'data-knowrithm-widget': agentId });
    const root = host.attachShadow({ mode: 'open' });
    const text = css(cfg);
    if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(text);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.append(h('style', { text })); // older browsers: needs style-src 'unsafe-inline' under a CSP
    }
    const title = cfg.title || agent.name || 'Chat';
    const welcome = cfg.welcome || `Hello! I'm ${agent.name || 'your assistant'}. How can I help you today?`;

    const log = h('div', { className: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation with ' + title, tabindex: '0' });
    const note = (t) => log.append(h('p', { className: 'msg note', text: t }));
    const seen = new Set();
    let shown = 0;
    function show(message) {
      if (message.id && seen.has(message.id)) return false;
      if (message.id) seen.add(message.id);
      const who = message.role === 'user' ? 'user' : 'assistant';
      const author = message.role === 'operator' && message.author && message.author.name ? String(message.author.name) : '';
      const bubble = h('div', { className: 'msg ' + who }, h('span', { className: 'sr', text: who === 'user' ? 'You: ' : (author || title) + ': ' }));
      if (author) bubble.append(h('span', { className: 'who', 'aria-hidden': 'true', text: author }));
      // Sources first, so each [Source n] can link to its entry (focused in place: the page's URL stays).
      const items = {};
      const prefix = 'kw-' + ++shown + '-';
      for (const s of message.sources || []) {
        const n = s.source_number || Object.keys(items).length + 1;
        const name = String(s.document_name || s.url || 'Source ' + n);
        items[n] = h('li', { id: prefix + n, value: n, tabindex: '-1' }, (s.url && safeLink(s.url, name)) || name, s.page ? ', page ' + s.page : '');
      }
      const cite = (n, raw) =>
        items[n] ? h('sup', {}, h('a', { href: '#' + prefix + n, 'aria-label': 'Source ' + n, onclick: (e) => e.preventDefault() || items[n].focus(), text: n })) : raw;
      if (who === 'user') richText(message.content || '', bubble);
      else markdown(message.content || '', bubble, cite);
      const sources = Object.values(items);
      if (sources.length) bubble.append(h('ol', { className: 'sources', 'aria-label': 'Sources' }, sources));
      log.append(bubble);
      log.scrollTop = log.scrollHeight;
      return true;
    }

    // Lead form: first name, last name, email, optional phone, optional consent checkbox (from settings).
    const field = (label, name, type, required, autocomplete) =>
      h('label', {}, label + (required ? ' (required)' : ''), h('input', { name, type, required, autocomplete, 'aria-required': required ? 'true' : null }));
    const leadError = h('p', { className: 'error', role: 'alert' });
    const consent = cfg.consentCheckbox
      ? h('label', { className: 'check' }, h('input', { type: 'checkbox', name: 'consent', required: true, 'aria-required': 'true' }), h('span', {}, cfg.consentText, ' ', (cfg.privacyPolicyUrl && safeLink(cfg.privacyPolicyUrl, 'Privacy policy')) || ''))
      : null;
    const start = h('button', { type: 'submit', className: 'primary', text: 'Start chat' });
    const leadForm = h(
      'form',
      { className: 'lead', 'aria-label': 'Your details', novalidate: true, onsubmit: onLead },
      h('p', { className: 'note', text: 'Tell us who you are to start the chat.' }),
      field('First name', 'first_name', 'text', true, 'given-name'),
      field('Last name', 'last_name', 'text', true, 'family-name'),
      field('Email', 'email', 'email', true, 'email'),
      cfg.phoneField !== 'hidden' && field('Phone', 'phone', 'tel', cfg.phoneField === 'required', 'tel'),
      consent,
      leadError,
      start,
    );
    const input = h('textarea', { id: 'kw-input', rows: '1', maxlength: '4000', placeholder: 'Type your message…', onkeydown: onKey });
    const send = h('button', { type: 'submit', className: 'primary send', 'aria-label': 'Send message' }, icon('M3 20v-6l8-2-8-2V4l19 8z'));
    const chatError = h('p', { className: 'error', role: 'alert' });
    const composer = h('form', { className: 'composer', 'aria-label': 'Send a message', hidden: true, onsubmit: onSend }, h('label', { className: 'sr', for: 'kw-input', text: 'Message' }), input, send);

    const avatar = h('div', { className: 'avatar', 'aria-hidden': 'true', text: title.trim().charAt(0).toUpperCase() });
    const avatarUrl = agent.avatar_url && safeLink(agent.avatar_url);
    if (avatarUrl) {
      const img = h('img', { src: avatarUrl.href, alt: '', onerror: () => img.remove() });
      avatar.textContent = '';
      avatar.append(img);
    }
    const closeButton = h('button', { type: 'button', className: 'close', 'aria-label': 'Close chat', onclick: () => close() }, icon('M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z'));
    const panel = h(
      'div',
      { className: 'panel', id: 'kw-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'kw-title', hidden: true, onkeydown: (e) => e.key === 'Escape' && close() },
      h('div', { className: 'head' }, avatar, h('h2', { id: 'kw-title', text: title }), closeButton),
      log,
      leadForm,
      composer,
      h('div', {}, chatError),
      cfg.showBranding && h('p', { className: 'brand', text: 'Powered by Knowrithm' }),
    );
    const launcher = h(
      'button',
      { type: 'button', className: 'launcher', 'aria-label': cfg.buttonText ? null : 'Open chat with ' + title, 'aria-expanded': 'false', 'aria-controls': 'kw-panel', 'aria-haspopup': 'dialog', onclick: () => (opened ? close() : open()) },
      icon('M4 4h16v12H7l-3 3zm4 5v2h8V9zm0-3v2h8V6z'),
      cfg.buttonText && h('span', { text: cfg.buttonText }),
    );
    root.append(h('div', { className: 'kw ' + cfg.theme }, launcher, panel));
    document.body.append(host);

    let opened = false;
    let returnTo = null;
    function open() {
      if (opened) return;
      opened = true;
      const active = document.activeElement;
      returnTo = active && active !== document.body && active !== host ? active : launcher;
      panel.hidden = false;
      launcher.setAttribute('aria-expanded', 'true');
      (composer.hidden ? leadForm.querySelector('input') : input).focus();
      emit('widget.opened');
    }
    function close() {
      if (!opened) return;
      opened = false;
      panel.hidden = true;
      launcher.setAttribute('aria-expanded', 'false');
      (returnTo && returnTo.isConnected ? returnTo : launcher).focus();
      emit('widget.closed');
    }
    function chatting() {
      leadForm.hidden = true;
      composer.hidden = false;
      if (opened) input.focus();
    }

    async function onLead(event) {
      event.preventDefault();
      leadError.textContent = '';
      const values = Object.fromEntries(new FormData(leadForm));
      const invalid = [...leadForm.querySelectorAll('input')].find((el) => {
        const bad = (el.required && !(el.type === 'checkbox' ? el.checked : el.value.trim())) || (el.type === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(el.value.trim()));
        el.setAttribute('aria-invalid', bad ? 'true' : 'false');
        return bad;
      });
      if (invalid) {
        leadError.textContent = invalid.type === 'checkbox' ? 'Please tick the box to continue.' : 'Please check the highlighted field.';
        return invalid.focus();
      }
      const lead = { first_name: values.first_name.trim(), last_name: values.last_name.trim(), email: values.email.trim() };
      if (values.phone && values.phone.trim()) lead.phone = values.phone.trim();
      if (consent) lead.consent_data_processing = true;
      start.disabled = true;
      try {
        await register(lead);
        await startConversation();
        chatting();
        rt = rt || live(wsUrl);
        note('Thanks, ' + lead.first_name + '! Ask us anything.');
      } catch (e) {
        leadError.textContent = e.message;
      } finally {
        start.disabled = false;
      }
    }
    function onKey(event) {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        composer.requestSubmit();
      }
    }
    async function onSend(event) {
      event.preventDefault();
      const message = input.value.trim();
      if (!message || send.disabled) return;
      chatError.textContent = '';
      input.value = '';
      show({ role: 'user', content: message });
      send.disabled = true;
      const typing = h('div', { className: 'msg typing', role: 'status', 'aria-live': 'polite' }, h('span', { className: 'sr', text: title + ' is typing…' }), h('i'), h('i'), h('i'));
      log.append(typing);
      try {
        const reply = await ask(message);
        typing.remove();
        if (reply && show(reply)) emit('message.received', { message: reply, conversationId: session.conversationId });
      } catch (e) {
        typing.remove();
        chatError.textContent = e.message;
        if (e.status === 404) {
          forget();
          composer.hidden = true;
          leadForm.hidden = false;
        }
      } finally {
        send.disabled = false;
        input.focus();
      }
    }

    note(welcome);
    return { open, close, isOpen: () => opened, show, note, chatting, leadForm, composer };
  }

  // --- start: handshake, then the agent and its widget settings; render only if this site is allowed ---
  async function boot() {
    const page = { agent_id: agentId, url: location.href, title: document.title, trigger_crawl: false };
    let config;
    let agent;
    try {
      const handshake = call('POST', '/website/handshake', page);
      const answers = await Promise.all([handshake, call('GET', '/agent/' + enc(agentId)), call('GET', '/widget/config/' + enc(agentId))]);
      agent = answers[1].agent || {};
      config = answers[2];
      wsUrl = data.websocketUrl || config.websocket_url || '';
    } catch (e) {
      console.warn('[Knowrithm] chat widget not shown: ' + e.message);
      return emit('error', { status: e.status, message: e.message });
    }
    const cfg = settle(config.widget_config || {});
    try {
      store = cfg.persistSession ? window.localStorage : null;
    } catch (e) {
      store = null; // storage blocked (privacy settings): the session lives for this page view only
    }
    session = restore();
    ui = build(cfg, agent);
    emit('ready', { agentId, config: cfg });
    if (session.accessToken && session.conversationId) {
      try {
        const history = await messages();
        ui.chatting();
        history.forEach(ui.show);
        const last = history.filter((m) => m.role === 'operator' && m.author && m.author.name).pop();
        rt = live(wsUrl, last && String(last.author.name));
      } catch (e) {
        if (e.status === 403 || e.status === 404) forget(); // conversation gone or site no longer allowed: start over
        else {
          ui.chatting();
          ui.note('Earlier messages could not be loaded.');
        }
      }
    }
    if (pending.open) ui.open();
    else if (cfg.autoOpen) setTimeout(ui.open, cfg.initialDelay);
  }

  if (document.body) boot();
  else document.addEventListener('DOMContentLoaded', boot, { once: true });
})();
