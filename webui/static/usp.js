// usp.js: the few USP 1.4 messages the status page needs, in protobuf wire
// format (proto/usp-record-1-4.proto, proto/usp-msg-1-4.proto): a Record
// with no_session_context, and Msg with Get/GetResp, Add/AddResp,
// Notify/NotifyResp and Error. Unknown fields are skipped. It defines one
// global, USP.
"use strict";
var USP = (function () {
  const utf8enc = new TextEncoder();
  const utf8dec = new TextDecoder();

  // MsgType of the Header.
  const T = { ERROR: 0, GET: 1, GET_RESP: 2, NOTIFY: 3, SET: 4, SET_RESP: 5, OPERATE: 6, OPERATE_RESP: 7,
    ADD: 8, ADD_RESP: 9, DELETE: 10, DELETE_RESP: 11, NOTIFY_RESP: 16 };

  // Writer builds one message; nested messages are built first and
  // written as bytes.
  class Writer {
    constructor() { this.parts = []; this.len = 0; }
    raw(u8) { this.parts.push(u8); this.len += u8.length; }
    varint(n) {
      const b = [];
      n = Math.floor(n);
      while (n > 127) { b.push((n % 128) | 128); n = Math.floor(n / 128); }
      b.push(n);
      this.raw(Uint8Array.from(b));
    }
    tag(field, wire) { this.varint(field * 8 + wire); }
    bytes(field, u8) { this.tag(field, 2); this.varint(u8.length); this.raw(u8); return this; }
    string(field, s) { if (s !== undefined && s !== "") this.bytes(field, utf8enc.encode(s)); return this; }
    bool(field, v) { if (v) { this.tag(field, 0); this.varint(1); } return this; }
    uint(field, v) { if (v) { this.tag(field, 0); this.varint(v); } return this; }
    fixed32(field, v) {
      if (v) { this.tag(field, 5); this.raw(Uint8Array.from([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255])); }
      return this;
    }
    msg(field, w) { return this.bytes(field, w.finish()); }
    finish() {
      const out = new Uint8Array(this.len);
      let off = 0;
      for (const p of this.parts) { out.set(p, off); off += p.length; }
      return out;
    }
  }

  // fields parses one message into field number → list of values: numbers
  // for varint and fixed fields, Uint8Array for length-delimited ones.
  function fields(u8) {
    const out = new Map();
    let i = 0;
    const varint = () => {
      let n = 0, mul = 1, b;
      do {
        if (i >= u8.length) throw new Error("usp: truncated varint");
        b = u8[i++];
        n += (b & 127) * mul;
        mul *= 128;
      } while (b & 128);
      return n;
    };
    while (i < u8.length) {
      const key = varint();
      const field = Math.floor(key / 8), wire = key % 8;
      let v;
      switch (wire) {
        case 0: v = varint(); break;
        case 1: if (i + 8 > u8.length) throw new Error("usp: truncated fixed64"); v = u8.subarray(i, i + 8); i += 8; break;
        case 2: {
          const n = varint();
          if (i + n > u8.length) throw new Error("usp: truncated field " + field);
          v = u8.subarray(i, i + n); i += n; break;
        }
        case 5:
          if (i + 4 > u8.length) throw new Error("usp: truncated fixed32");
          v = (u8[i] | (u8[i + 1] << 8) | (u8[i + 2] << 16) | (u8[i + 3] << 24)) >>> 0; i += 4; break;
        default: throw new Error("usp: wire type " + wire);
      }
      if (!out.has(field)) out.set(field, []);
      out.get(field).push(v);
    }
    return out;
  }
  const one = (f, n) => (f.has(n) ? f.get(n)[f.get(n).length - 1] : undefined);
  const all = (f, n) => f.get(n) || [];
  const str = (f, n) => { const v = one(f, n); return v === undefined ? "" : utf8dec.decode(v); };
  const num = (f, n) => one(f, n) || 0;
  const sub = (f, n) => { const v = one(f, n); return v === undefined ? undefined : fields(v); };
  // map<string,string> entries are messages {key = 1, value = 2}.
  const strMap = (f, n) => {
    const m = {};
    for (const e of all(f, n)) { const ef = fields(e); m[str(ef, 1)] = str(ef, 2); }
    return m;
  };

  // encodeRecord wraps payload (a Msg) in a no_session_context Record.
  function encodeRecord(to, from, payload) {
    return new Writer().string(1, "1.4").string(2, to).string(3, from)
      .msg(7, new Writer().bytes(2, payload)).finish();
  }

  // decodeRecord returns {version, to, from, kind, payload}; payload is set
  // for no_session_context Records only.
  function decodeRecord(u8) {
    const f = fields(u8);
    const r = { version: str(f, 1), to: str(f, 2), from: str(f, 3), kind: "other", payload: undefined };
    const kinds = { 7: "no_session_context", 8: "session_context", 9: "websocket_connect", 10: "mqtt_connect", 12: "disconnect" };
    for (const k in kinds) if (f.has(Number(k))) r.kind = kinds[k];
    if (r.kind === "no_session_context") r.payload = one(sub(f, 7), 2) || new Uint8Array(0);
    return r;
  }

  // encodeGet is a Get Msg of paths.
  function encodeGet(id, paths, maxDepth) {
    const g = new Writer();
    for (const p of paths) g.string(1, p);
    g.fixed32(2, maxDepth || 0);
    return msg(id, T.GET, new Writer().msg(1, new Writer().msg(1, g)));
  }

  // encodeAdd is an Add Msg: objs are [{path, params: [{param, value,
  // required}]}].
  function encodeAdd(id, objs, allowPartial) {
    const a = new Writer().bool(1, allowPartial);
    for (const o of objs) {
      const co = new Writer().string(1, o.path);
      for (const p of o.params) co.msg(2, new Writer().string(1, p.param).string(2, p.value).bool(3, p.required));
      a.msg(2, co);
    }
    return msg(id, T.ADD, new Writer().msg(1, new Writer().msg(5, a)));
  }

  // encodeNotifyResp answers a Notify with send_resp.
  function encodeNotifyResp(id, subscriptionID) {
    return msg(id, T.NOTIFY_RESP, new Writer().msg(2, new Writer().msg(8, new Writer().string(1, subscriptionID))));
  }

  function msg(id, type, body) {
    return new Writer().msg(1, new Writer().string(1, id).uint(2, type)).msg(2, body).finish();
  }

  // decodeMsg returns {id, type, notify?, getResp?, addResp?, error?}:
  //   notify  {subscriptionID, sendResp, valueChange?: {path, value},
  //            objCreation?: {path, keys}, objDeletion?: {path},
  //            event?: {path, name, params}}
  //   getResp [{requestedPath, errCode, errMsg, resolved: [{path, params}]}]
  //   addResp [{requestedPath, errCode, errMsg, path, keys}]
  //   error   {code, msg, paramErrs: [{path, code, msg}]}
  function decodeMsg(u8) {
    const f = fields(u8);
    const h = sub(f, 1) || new Map();
    const m = { id: str(h, 1), type: num(h, 2) };
    const body = sub(f, 2) || new Map();
    const req = sub(body, 1), resp = sub(body, 2), err = sub(body, 3);
    if (req && req.has(8)) m.notify = decodeNotify(sub(req, 8));
    if (resp && resp.has(1)) m.getResp = decodeGetResp(sub(resp, 1));
    if (resp && resp.has(5)) m.addResp = decodeAddResp(sub(resp, 5));
    if (err) {
      m.error = { code: num(err, 1), msg: str(err, 2), paramErrs: all(err, 3).map((b) => {
        const pe = fields(b);
        return { path: str(pe, 1), code: num(pe, 2), msg: str(pe, 3) };
      }) };
    }
    return m;
  }

  function decodeNotify(f) {
    const n = { subscriptionID: str(f, 1), sendResp: num(f, 2) !== 0 };
    let s;
    if ((s = sub(f, 3))) n.event = { path: str(s, 1), name: str(s, 2), params: strMap(s, 3) };
    if ((s = sub(f, 4))) n.valueChange = { path: str(s, 1), value: str(s, 2) };
    if ((s = sub(f, 5))) n.objCreation = { path: str(s, 1), keys: strMap(s, 2) };
    if ((s = sub(f, 6))) n.objDeletion = { path: str(s, 1) };
    return n;
  }

  function decodeGetResp(f) {
    return all(f, 1).map((b) => {
      const r = fields(b);
      return { requestedPath: str(r, 1), errCode: num(r, 2), errMsg: str(r, 3),
        resolved: all(r, 4).map((rb) => { const rr = fields(rb); return { path: str(rr, 1), params: strMap(rr, 2) }; }) };
    });
  }

  function decodeAddResp(f) {
    return all(f, 1).map((b) => {
      const r = fields(b);
      const st = sub(r, 2) || new Map();
      const fail = sub(st, 1), ok = sub(st, 2);
      const out = { requestedPath: str(r, 1), errCode: 0, errMsg: "", path: "", keys: {} };
      if (fail) { out.errCode = num(fail, 1); out.errMsg = str(fail, 2); }
      if (ok) { out.path = str(ok, 1); out.keys = strMap(ok, 3); }
      return out;
    });
  }

  return { T, encodeRecord, decodeRecord, encodeGet, encodeAdd, encodeNotifyResp, decodeMsg };
})();
