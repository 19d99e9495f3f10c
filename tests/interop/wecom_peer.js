#!/usr/bin/env node
// An independent WeCom peer built on the official @wecom/crypto package: it plays WeCom against a
// running callback server (ours, or the benchmark's reference peer) and prints one JSON line per
// scenario: {"scenario": "...", "ok": true|false, "detail": "...", "accepted": N, "msg_ids": [...]}.
// "accepted" counts the distinct deliveries the server should have stored; "msg_ids" lists the
// MsgIds a scenario sent (for negatives: ids that must NOT be stored). Exit code 0 only if every
// scenario is ok.
//
//   node wecom_peer.js --url http://127.0.0.1:PORT/wecom/callback --token T --key K --corpid C
//                      [--agentid 1000002] [--user zhangsan] [--echo]
//
// --echo: the server is an echo peer (bench/peer/server.js): a text reply must carry exactly the
// Content that was sent instead of the help text.
'use strict';

const nodeCrypto = require('crypto');
const wecom = require('@wecom/crypto');

const REQUEST_TIMEOUT_MS = 15000;
const OVERSIZED_BYTES = 200 * 1024;

function parseArgs(argv) {
  const opts = { agentid: '1000002', user: 'zhangsan', echo: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--echo') {
      opts.echo = true;
    } else if (a.startsWith('--') && i + 1 < argv.length) {
      opts[a.slice(2)] = argv[i + 1];
      i += 1;
    } else {
      throw new Error(`unexpected argument ${a}`);
    }
  }
  for (const k of ['url', 'token', 'key', 'corpid']) {
    if (!opts[k]) {
      throw new Error(`missing --${k}`);
    }
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Small helpers (no XML library: the peer must not share code with the server under test).

function randomDigits(n) {
  let s = String(1 + nodeCrypto.randomInt(9));
  while (s.length < n) {
    s += String(nodeCrypto.randomInt(10));
  }
  return s;
}

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

function cdata(s) {
  return `<![CDATA[${String(s).split(']]>').join(']]]]><![CDATA[>')}]]>`;
}

function decodeEntities(s) {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (m, e) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default:
        return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

// Text of the first <name>…</name> element: CDATA sections verbatim, other text entity-decoded.
// Returns undefined when the element is absent.
function xmlField(xml, name) {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  if (!m) {
    return undefined;
  }
  let raw = m[1];
  let out = '';
  for (;;) {
    const start = raw.indexOf('<![CDATA[');
    if (start < 0) {
      out += decodeEntities(raw);
      break;
    }
    out += decodeEntities(raw.slice(0, start));
    const end = raw.indexOf(']]>', start + 9);
    if (end < 0) {
      return undefined;
    }
    out += raw.slice(start + 9, end);
    raw = raw.slice(end + 3);
  }
  return out;
}

function textXml(o, user, content, msgId, createTime = nowSeconds()) {
  return `<xml><ToUserName>${cdata(o.corpid)}</ToUserName><FromUserName>${cdata(user)}</FromUserName>`
    + `<CreateTime>${createTime}</CreateTime><MsgType>${cdata('text')}</MsgType>`
    + `<Content>${cdata(content)}</Content><MsgId>${msgId}</MsgId><AgentID>${o.agentid}</AgentID></xml>`;
}

function eventXml(o, user, event, key, createTime = nowSeconds()) {
  return `<xml><ToUserName>${cdata(o.corpid)}</ToUserName><FromUserName>${cdata(user)}</FromUserName>`
    + `<CreateTime>${createTime}</CreateTime><MsgType>${cdata('event')}</MsgType>`
    + `<Event>${cdata(event)}</Event><EventKey>${cdata(key)}</EventKey><AgentID>${o.agentid}</AgentID></xml>`;
}

function envelope(o, encrypt) {
  const enc = encrypt === undefined ? '' : `<Encrypt>${cdata(encrypt)}</Encrypt>`;
  return `<xml><ToUserName>${cdata(o.corpid)}</ToUserName><AgentID>${cdata(o.agentid)}</AgentID>${enc}</xml>`;
}

function query(params) {
  return Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

// A correctly signed and encrypted POST of `inner`, with hooks for the negative cases.
function signedPost(o, inner, { id = o.corpid, token = o.token, timestamp = String(nowSeconds()) } = {}) {
  const nonce = randomDigits(10);
  const encrypt = wecom.encrypt(o.key, inner, id);
  const signature = wecom.getSignature(token, timestamp, nonce, encrypt);
  return { timestamp, nonce, encrypt, signature, body: envelope(o, encrypt) };
}

async function send(o, method, params, body) {
  const res = await fetch(`${o.url}?${query(params)}`, {
    method,
    body,
    headers: body === undefined ? {} : { 'content-type': 'text/xml' },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, bytes, text: bytes.toString('utf8') };
}

function post(o, req, overrides = {}) {
  return send(o, 'POST', {
    msg_signature: overrides.signature ?? req.signature,
    timestamp: req.timestamp,
    nonce: req.nonce,
  }, overrides.body ?? req.body);
}

// Verifies a passive reply with the official package; returns the decrypted inner XML fields.
function checkReply(o, res, user) {
  if (res.status !== 200) {
    throw new Error(`status ${res.status}`);
  }
  const xml = res.text;
  const encrypt = xmlField(xml, 'Encrypt');
  const signature = xmlField(xml, 'MsgSignature');
  const timestamp = xmlField(xml, 'TimeStamp');
  const nonce = xmlField(xml, 'Nonce');
  if (!encrypt || !signature || !timestamp || !nonce) {
    throw new Error(`reply lacks Encrypt/MsgSignature/TimeStamp/Nonce: ${xml.slice(0, 200)}`);
  }
  if (!/^\d{1,11}$/.test(timestamp) || Math.abs(Number(timestamp) - nowSeconds()) > 86400) {
    throw new Error(`reply TimeStamp ${timestamp} is not unix seconds`);
  }
  const expected = wecom.getSignature(o.token, timestamp, nonce, encrypt);
  if (signature.toLowerCase() !== expected) {
    throw new Error('reply MsgSignature does not verify with getSignature');
  }
  const plain = wecom.decrypt(o.key, encrypt);
  if (plain.id !== o.corpid) {
    throw new Error(`reply receiveid ${JSON.stringify(plain.id)} != corpid`);
  }
  const inner = plain.message;
  if (!/^\s*<xml>[\s\S]*<\/xml>\s*$/.test(inner)) {
    throw new Error(`reply plaintext is not XML: ${inner.slice(0, 200)}`);
  }
  const f = {
    to: xmlField(inner, 'ToUserName'),
    from: xmlField(inner, 'FromUserName'),
    msgType: xmlField(inner, 'MsgType'),
    content: xmlField(inner, 'Content'),
    createTime: xmlField(inner, 'CreateTime'),
  };
  if (f.to !== user) {
    throw new Error(`reply ToUserName ${JSON.stringify(f.to)} != sender ${user}`);
  }
  if (f.from !== o.corpid) {
    throw new Error(`reply FromUserName ${JSON.stringify(f.from)} != corpid`);
  }
  return f;
}

// A text round trip: returns a description, throws on any mismatch.
async function textRoundTrip(o, content, msgId) {
  const req = signedPost(o, textXml(o, o.user, content, msgId));
  const res = await post(o, req);
  const f = checkReply(o, res, o.user);
  if (f.msgType !== 'text') {
    throw new Error(`reply MsgType ${JSON.stringify(f.msgType)} != text`);
  }
  if (o.echo ? f.content !== content : !(f.content || '').includes('报修')) {
    throw new Error(`unexpected reply Content ${JSON.stringify(f.content)}`);
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Scenarios. Each returns {detail, accepted?, msg_ids?} or throws.

async function urlVerification(o) {
  const echo = randomDigits(19);
  const echostr = wecom.encrypt(o.key, echo, o.corpid);
  const timestamp = String(nowSeconds());
  const nonce = randomDigits(10);
  const res = await send(o, 'GET', {
    msg_signature: wecom.getSignature(o.token, timestamp, nonce, echostr),
    timestamp,
    nonce,
    echostr,
  });
  if (res.status !== 200) {
    throw new Error(`status ${res.status}`);
  }
  if (!res.bytes.equals(Buffer.from(echo))) {
    throw new Error(`body ${JSON.stringify(res.text.slice(0, 100))} != plaintext ${echo}`);
  }
  return { detail: `echoed ${echo}` };
}

async function textHelp(o) {
  const msgId = randomDigits(19);
  const f = await textRoundTrip(o, '帮助', msgId);
  return { detail: `reply: ${f.content.slice(0, 60)}`, accepted: 1, msg_ids: [msgId] };
}

async function events(o) {
  const details = [];
  const base = nowSeconds();
  const cases = [['enter_agent', ''], ['click', 'MENU_MY_TICKETS']];
  for (let i = 0; i < cases.length; i += 1) {
    const [event, key] = cases[i];
    // Distinct CreateTime per event: events dedupe on user + time (+ event).
    const req = signedPost(o, eventXml(o, o.user, event, key, base + i));
    const res = await post(o, req);
    if (res.status !== 200) {
      throw new Error(`${event}: status ${res.status}`);
    }
    const body = res.text.trim();
    if (body === '' || body === 'success') {
      details.push(`${event}: 200 empty`);
    } else {
      const f = checkReply(o, res, o.user);
      details.push(`${event}: 200 ${f.msgType} reply`);
    }
  }
  return { detail: details.join('; '), accepted: cases.length };
}

// Negative cases: each is a fresh, otherwise valid text message (own MsgId, own secret Content)
// broken in exactly one way. The server must answer 4xx and never echo the plaintext.
function negativeCases(o) {
  const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  return [
    ['neg_wrong_signature', (req) => {
      const sig = req.signature;
      return { signature: (sig[0] === '0' ? '1' : '0') + sig.slice(1) };
    }],
    ['neg_wrong_token', (req) => ({
      signature: wecom.getSignature(`${o.token}x`, req.timestamp, req.nonce, req.encrypt),
    })],
    ['neg_tampered_ciphertext', (req) => ({
      body: envelope(o, flip(req.encrypt, Math.floor(req.encrypt.length / 2))),
    })],
    ['neg_other_receiveid', null, { id: 'ww0000000000000000' }],
    ['neg_stale_timestamp', null, { timestamp: String(nowSeconds() - 3600) }],
    ['neg_oversized_body', 'oversized'],
    ['neg_missing_encrypt', (req) => {
      const signature = wecom.getSignature(o.token, req.timestamp, req.nonce, '');
      return { signature, body: envelope(o, undefined) };
    }],
    ['neg_garbage_base64', (req) => {
      const garbage = '!!not*base64~~' + req.encrypt.slice(0, 20) + '%%';
      return {
        signature: wecom.getSignature(o.token, req.timestamp, req.nonce, garbage),
        body: envelope(o, garbage),
      };
    }],
  ];
}

async function negative(o, mutate, signOpts) {
  const msgId = randomDigits(19);
  const secret = `secret-${randomDigits(12)}`;
  let content = `帮助 ${secret}`;
  if (mutate === 'oversized') {
    content += 'x'.repeat(OVERSIZED_BYTES);
  }
  const req = signedPost(o, textXml(o, o.user, content, msgId), signOpts || {});
  const overrides = typeof mutate === 'function' ? mutate(req) : {};
  let res;
  try {
    res = await post(o, req, overrides);
  } catch (e) {
    const why = e.cause ? e.cause.code || e.cause.message : e.message;
    throw Object.assign(new Error(`no HTTP answer: ${why}`), { msg_ids: [msgId] });
  }
  const problems = [];
  if (res.status < 400 || res.status >= 500) {
    problems.push(`status ${res.status}`);
  }
  if (res.text.includes(secret) || res.text.includes('<xml') || res.text.includes('报修')) {
    problems.push(`body leaks: ${JSON.stringify(res.text.slice(0, 100))}`);
  }
  if (problems.length) {
    throw Object.assign(new Error(problems.join('; ')), { msg_ids: [msgId] });
  }
  return { detail: `${res.status} ${JSON.stringify(res.text.slice(0, 40))}`, accepted: 0, msg_ids: [msgId] };
}

// GET verification negatives: bad signature and an echostr sealed for another corp.
async function negativeGet(o, kind) {
  const echo = randomDigits(19);
  const id = kind === 'receiveid' ? 'ww0000000000000000' : o.corpid;
  const echostr = wecom.encrypt(o.key, echo, id);
  const timestamp = String(nowSeconds());
  const nonce = randomDigits(10);
  let signature = wecom.getSignature(o.token, timestamp, nonce, echostr);
  if (kind === 'signature') {
    signature = wecom.getSignature(`${o.token}x`, timestamp, nonce, echostr);
  }
  const res = await send(o, 'GET', { msg_signature: signature, timestamp, nonce, echostr });
  if (res.status < 400 || res.status >= 500 || res.text.includes(echo)) {
    throw new Error(`status ${res.status}, body ${JSON.stringify(res.text.slice(0, 60))}`);
  }
  return { detail: `${res.status}`, accepted: 0 };
}

async function stillAlive(o) {
  const msgId = randomDigits(19);
  const f = await textRoundTrip(o, '帮助', msgId);
  return { detail: `still answers: ${f.content.slice(0, 40)}`, accepted: 1, msg_ids: [msgId] };
}

async function duplicate(o) {
  const msgId = randomDigits(19);
  const content = o.echo ? `echo ${randomDigits(8)}` : '帮助';
  const req = signedPost(o, textXml(o, o.user, content, msgId));
  const first = checkReply(o, await post(o, req), o.user);
  const second = checkReply(o, await post(o, req), o.user);
  if (!first.content || first.content !== second.content) {
    throw new Error(`contents differ: ${JSON.stringify(first.content)} vs ${JSON.stringify(second.content)}`);
  }
  if (o.echo && first.content !== content) {
    throw new Error(`echo mismatch: ${JSON.stringify(first.content)}`);
  }
  return { detail: 'same reply twice', accepted: 1, msg_ids: [msgId] };
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  o.user = o.user.toLowerCase();  // WeCom UserIDs are case-insensitive; replies use lower case

  const scenarios = [
    ['url_verification', () => urlVerification(o)],
    ['text_help', () => textHelp(o)],
    ['events', () => events(o)],
    ...negativeCases(o).map(([name, mutate, signOpts]) => [name, () => negative(o, mutate, signOpts)]),
    ['neg_get_wrong_signature', () => negativeGet(o, 'signature')],
    ['neg_get_other_receiveid', () => negativeGet(o, 'receiveid')],
    ['still_alive', () => stillAlive(o)],
    ['duplicate', () => duplicate(o)],
  ];
  let allOk = true;
  for (const [scenario, run] of scenarios) {
    let line;
    try {
      const r = await run();
      line = { scenario, ok: true, detail: r.detail, accepted: r.accepted || 0, msg_ids: r.msg_ids || [] };
    } catch (e) {
      allOk = false;
      const detail = e.cause ? `${e.message}: ${e.cause.code || e.cause.message}` : e.message;
      line = { scenario, ok: false, detail, accepted: 0, msg_ids: e.msg_ids || [] };
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  process.exit(allOk ? 0 : 1);
}

main();
