#!/usr/bin/env node
// The benchmark's reference peer: a minimal WeCom callback server on the official @wecom/crypto
// package. GET = URL verification; POST = verify, decrypt, and answer a text message with an
// encrypted passive reply echoing its Content (other messages: empty 200). No storage, no bot.
//
//   node server.js --token T --key K --corpid C [--port 8081] [--host 127.0.0.1]
//                  [--path /wecom/callback] [--max-body 65536] [--max-skew 300]
// Every option may also come from the environment: PORT, HOST, WECOM_TOKEN, WECOM_KEY,
// WECOM_CORPID, CALLBACK_PATH, MAX_BODY_BYTES, MAX_CLOCK_SKEW_S. --port 0 picks a free port; the
// chosen one is printed as "listening on http://HOST:PORT/PATH".
'use strict';

const http = require('http');
const nodeCrypto = require('crypto');
const wecom = require('@wecom/crypto');

function options() {
  const env = process.env;
  const o = {
    port: env.PORT || '8081',
    host: env.HOST || '127.0.0.1',
    path: env.CALLBACK_PATH || '/wecom/callback',
    token: env.WECOM_TOKEN,
    key: env.WECOM_KEY,
    corpid: env.WECOM_CORPID,
    'max-body': env.MAX_BODY_BYTES || '65536',
    'max-skew': env.MAX_CLOCK_SKEW_S || '300',
  };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 1) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`unexpected argument ${argv[i]}`);
    }
    o[argv[i].slice(2)] = argv[i + 1];
    i += 1;
  }
  for (const k of ['token', 'key', 'corpid']) {
    if (!o[k]) {
      throw new Error(`missing --${k}`);
    }
  }
  o.port = Number(o.port);
  o.maxBody = Number(o['max-body']);
  o.maxSkew = Number(o['max-skew']);
  return o;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function cdata(s) {
  return `<![CDATA[${String(s).split(']]>').join(']]]]><![CDATA[>')}]]>`;
}

// Text of <name>…</name>: CDATA sections verbatim, plain text with the five XML entities decoded.
function xmlField(xml, name) {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  if (!m) {
    return undefined;
  }
  const plain = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  let raw = m[1];
  let out = '';
  for (;;) {
    const start = raw.indexOf('<![CDATA[');
    if (start < 0) {
      return out + plain(raw);
    }
    const end = raw.indexOf(']]>', start + 9);
    if (end < 0) {
      return undefined;
    }
    out += plain(raw.slice(0, start)) + raw.slice(start + 9, end);
    raw = raw.slice(end + 3);
  }
}

// Signature, strict base64, then decrypt and the exact receiveid check. Returns the message or null.
function open(o, signature, timestamp, nonce, encrypt) {
  if (!signature || !timestamp || !nonce || !encrypt) {
    return { status: 400 };
  }
  if (o.maxSkew > 0) {
    const ts = Number(timestamp);
    if (!/^\d+$/.test(timestamp) || Math.abs(ts - Date.now() / 1000) > o.maxSkew) {
      return { status: 403 };
    }
  }
  const expected = wecom.getSignature(o.token, timestamp, nonce, encrypt);
  const given = Buffer.from(String(signature).toLowerCase());
  if (given.length !== expected.length || !nodeCrypto.timingSafeEqual(given, Buffer.from(expected))) {
    return { status: 403 };
  }
  if (!BASE64.test(encrypt) || (Buffer.from(encrypt, 'base64').length % 32) !== 0) {
    return { status: 400 };
  }
  let plain;
  try {
    plain = wecom.decrypt(o.key, encrypt);
  } catch (e) {
    return { status: 400 };
  }
  if (plain.id !== o.corpid) {
    return { status: 403 };
  }
  return { status: 200, message: plain.message };
}

function reply(res, status, body, type = 'text/plain') {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function handle(o, req, res, body) {
  const url = new URL(req.url, 'http://peer');
  // Base64 and hex never contain spaces: undo a form decoder's '+' → ' '.
  const q = (k) => (url.searchParams.get(k) || '').replace(/ /g, '+');
  if (url.pathname !== o.path) {
    return reply(res, 404, 'not found');
  }
  if (req.method === 'GET') {
    const r = open(o, q('msg_signature'), q('timestamp'), q('nonce'), q('echostr'));
    return r.status === 200 ? reply(res, 200, r.message) : reply(res, r.status, 'rejected');
  }
  if (req.method !== 'POST') {
    return reply(res, 405, 'method not allowed');
  }
  const encrypt = xmlField(body, 'Encrypt');
  const r = open(o, q('msg_signature'), q('timestamp'), q('nonce'), encrypt && encrypt.trim());
  if (r.status !== 200) {
    return reply(res, r.status, 'rejected');
  }
  const from = xmlField(r.message, 'FromUserName');
  if (!from || xmlField(r.message, 'MsgType') !== 'text') {
    return reply(res, 200, '');
  }
  const now = String(Math.floor(Date.now() / 1000));
  const inner = `<xml><ToUserName>${cdata(from.toLowerCase())}</ToUserName>`
    + `<FromUserName>${cdata(o.corpid)}</FromUserName><CreateTime>${now}</CreateTime>`
    + `<MsgType>${cdata('text')}</MsgType><Content>${cdata(xmlField(r.message, 'Content') || '')}</Content></xml>`;
  const enc = wecom.encrypt(o.key, inner, o.corpid);
  const nonce = String(nodeCrypto.randomInt(1e9, 1e10));
  const sig = wecom.getSignature(o.token, now, nonce, enc);
  return reply(res, 200, `<xml>\n<Encrypt>${cdata(enc)}</Encrypt>\n<MsgSignature>${cdata(sig)}</MsgSignature>\n`
    + `<TimeStamp>${now}</TimeStamp>\n<Nonce>${cdata(nonce)}</Nonce>\n</xml>`, 'text/xml');
}

function main() {
  let o;
  try {
    o = options();
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    let refused = false;
    req.on('data', (c) => {
      size += c.length;
      if (size > o.maxBody) {
        refused = true;  // keep draining so the client sees the 413, but store nothing more
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (refused) {
        return reply(res, 413, 'too large');
      }
      try {
        return handle(o, req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        return reply(res, 400, 'rejected');
      }
    });
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 5000;
  server.listen(o.port, o.host, () => {
    const { port } = server.address();
    process.stdout.write(`listening on http://${o.host}:${port}${o.path}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
