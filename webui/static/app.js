// app.js: the status page, a USP Controller in the browser (see usp.js for
// the wire format). One Peer per node: the node that served the page first
// (the mesh's nodes and leader), then every node of its Node table (radios,
// clients, neighbour scans) and so the leader (the plan). Subscriptions
// keep the values live; a slow full refresh heals what they do not cover.
"use strict";
(function () {
  const SUB_PREFIX = "uspmesh-ui-1-"; // Subscription IDs; a new page reuses them
  const REQUEST_TIMEOUT = 10000;
  const FULL_REFRESH = 30000;
  const HISTORY = 240;
  const MESH = "Device.X_USPMESH_Mesh.";
  const PLAN = MESH + "Plan.";

  // What each Peer reads (one Get per path keeps every answer small) and
  // subscribes to (ReferenceList holds at most 256 characters).
  const READS = ["Device.DeviceInfo.FriendlyName", "Device.WiFi.Radio.", "Device.WiFi.SSID.",
    "Device.WiFi.AccessPoint.", "Device.WiFi.NeighboringWiFiDiagnostic.Result.", MESH];
  const SUBSCRIPTIONS = [
    ["radio", "ValueChange", ["Device.WiFi.Radio.*.Channel", "Device.WiFi.Radio.*.CurrentOperatingChannelBandwidth",
      "Device.WiFi.Radio.*.Stats.X_USPMESH_ChannelBusy", "Device.WiFi.Radio.*.Stats.X_USPMESH_Airtime"]],
    ["mesh", "ValueChange", [MESH + "Leader", MESH + "Term", MESH + "Status", MESH + "Node.*.Status", MESH + "Node.*.Reachable"]],
    ["plan", "ValueChange", [PLAN + "Score", PLAN + "LastRun", PLAN + "LastApplied", PLAN + "Status", PLAN + "Assignment.*.Status"]],
    ["node-add", "ObjectCreation", [MESH + "Node."]],
    ["node-del", "ObjectDeletion", [MESH + "Node."]],
    ["client-add", "ObjectCreation", ["Device.WiFi.AccessPoint.*.AssociatedDevice."]],
    ["client-del", "ObjectDeletion", ["Device.WiFi.AccessPoint.*.AssociatedDevice."]],
  ];

  const state = { cfg: null, ctrl: "", home: null, peers: new Map(), history: [], lastSwitches: null, error: "" };

  // Peer is the page's USP session with one node's Agent.
  class Peer {
    constructor(eid, host) {
      Object.assign(this, { eid, host, values: {}, status: "connecting", err: "", seq: 0, pending: new Map(),
        backoff: 1000, ws: null, closed: false, timers: new Map(), updated: null });
      this.connect();
    }

    url() {
      let h = this.host;
      if (h.includes(":") && !h.startsWith("[")) h = "[" + h + "]";
      let u = (location.protocol === "https:" ? "wss://" : "ws://") + h + (location.port ? ":" + location.port : "") + state.cfg.path;
      if (!state.cfg.certificate) u += "?eid=" + encodeURIComponent(state.ctrl);
      return u;
    }

    connect() {
      if (this.closed) return;
      let ws;
      try {
        ws = new WebSocket(this.url(), "v1.usp");
      } catch (e) {
        this.down(String(e));
        return;
      }
      ws.binaryType = "arraybuffer";
      this.ws = ws;
      ws.onopen = () => {
        this.backoff = 1000;
        this.status = "up";
        this.err = "";
        this.start().catch((e) => { this.err = String(e.message || e); render(); });
      };
      ws.onmessage = (ev) => this.receive(new Uint8Array(ev.data));
      ws.onclose = (ev) => {
        if (this.ws !== ws) return;
        // The server keeps one session per Controller: another page (or
        // tab) with the same Endpoint ID took over. Do not fight it.
        if (ev.code === 1000 && /replaced/.test(ev.reason)) this.closed = true;
        this.down(this.closed ? "another page took this session over; reload to take it back" : ev.reason || "closed (" + ev.code + ")");
      };
    }

    down(why) {
      this.ws = null;
      this.status = "down";
      this.err = why;
      for (const p of this.pending.values()) p.reject(new Error("session closed"));
      this.pending.clear();
      clearInterval(this.timers.get("full"));
      render();
      if (!this.closed) {
        setTimeout(() => this.connect(), this.backoff);
        this.backoff = Math.min(this.backoff * 2, 30000);
      }
    }

    close() {
      this.closed = true;
      if (this.ws) this.ws.close(1000, "node gone");
      for (const t of this.timers.values()) { clearTimeout(t); clearInterval(t); }
    }

    // start reads everything and subscribes, once per session.
    async start() {
      await this.refresh(READS);
      for (const [name, type, refs] of SUBSCRIPTIONS) await this.subscribe(name, type, refs);
      this.timers.set("full", setInterval(() => this.refresh(READS).catch(() => {}), FULL_REFRESH));
    }

    send(payload) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) throw new Error("not connected");
      this.ws.send(USP.encodeRecord(this.eid, state.ctrl, payload));
    }

    request(build) {
      const id = "ui-" + ++this.seq;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { this.pending.delete(id); reject(new Error("no answer in 10 s")); }, REQUEST_TIMEOUT);
        this.pending.set(id, { resolve: (m) => { clearTimeout(timer); resolve(m); }, reject: (e) => { clearTimeout(timer); reject(e); } });
        try {
          this.send(build(id));
        } catch (e) {
          this.pending.get(id).reject(e);
          this.pending.delete(id);
        }
      });
    }

    receive(bytes) {
      let m;
      try {
        const rec = USP.decodeRecord(bytes);
        if (!rec.payload || rec.from !== this.eid) return;
        m = USP.decodeMsg(rec.payload);
      } catch (e) {
        console.warn("bad record from", this.eid, e);
        return;
      }
      if (m.notify) {
        if (m.notify.sendResp) {
          try { this.send(USP.encodeNotifyResp(m.id, m.notify.subscriptionID)); } catch (e) { /* session gone */ }
        }
        this.notified(m.notify);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) {
        const e = new Error("USP error " + m.error.code + ": " + m.error.msg);
        e.usp = m.error;
        p.reject(e);
      } else {
        p.resolve(m);
      }
    }

    // refresh replaces the values under each path with a fresh Get.
    async refresh(paths) {
      await Promise.all(paths.map(async (path) => {
        const m = await this.request((id) => USP.encodeGet(id, [path], 0));
        const fresh = {};
        for (const r of m.getResp || []) {
          if (r.errCode) throw new Error(path + ": USP error " + r.errCode + ": " + r.errMsg);
          for (const res of r.resolved) for (const k in res.params) fresh[res.path + k] = res.params[k];
        }
        for (const k of Object.keys(this.values)) if (k.startsWith(path)) delete this.values[k];
        Object.assign(this.values, fresh);
      }));
      this.updated = new Date();
      this.changed();
    }

    // subscribe adds our Subscription row; one left by an earlier page
    // (the same ID: 7025) serves as well, its notifications come to us.
    async subscribe(name, type, refs) {
      const params = [["Enable", "true"], ["ID", SUB_PREFIX + name], ["NotifType", type],
        ["ReferenceList", refs.join(",")], ["NotifRetry", "false"], ["Persistent", "false"]];
      try {
        await this.request((id) => USP.encodeAdd(id, [{ path: "Device.LocalAgent.Subscription.",
          params: params.map(([param, value]) => ({ param, value, required: true })) }], false));
      } catch (e) {
        const u = e.usp;
        if (!u || (u.code !== 7025 && !u.paramErrs.some((pe) => pe.code === 7025))) throw e;
      }
    }

    notified(n) {
      if (n.valueChange) {
        this.values[n.valueChange.path] = n.valueChange.value;
        if (n.valueChange.path.startsWith(PLAN)) this.later("plan", () => this.refresh([PLAN]));
        this.changed();
      } else if (n.objCreation || n.objDeletion) {
        const p = (n.objCreation || n.objDeletion).path;
        if (p.startsWith(MESH)) this.later("mesh", () => this.refresh([MESH]));
        else this.later("ap", () => this.refresh(["Device.WiFi.AccessPoint."]));
      }
    }

    // later runs f once after a short pause, however many ask meanwhile.
    later(key, f) {
      if (this.timers.has(key)) return;
      this.timers.set(key, setTimeout(() => { this.timers.delete(key); f().catch(() => {}); }, 300));
    }

    changed() {
      if (this === state.home) syncPeers();
      if (this.eid === leaderID()) recordPlan(this.values);
      render();
    }

    name() { return this.values["Device.DeviceInfo.FriendlyName"] || this.eid; }
  }

  // rows groups the parameters under table prefix by instance number.
  function rows(values, prefix) {
    const out = new Map();
    for (const k in values) {
      if (!k.startsWith(prefix)) continue;
      const m = /^(\d+)\.(.+)$/.exec(k.slice(prefix.length));
      if (!m) continue;
      if (!out.has(m[1])) out.set(m[1], { _i: m[1] });
      out.get(m[1])[m[2]] = values[k];
    }
    return [...out.values()].sort((a, b) => a._i - b._i);
  }

  const leaderID = () => (state.home ? state.home.values[MESH + "Leader"] || "" : "");
  const meshNodes = () => (state.home ? rows(state.home.values, MESH + "Node.") : []);

  // syncPeers opens a session to every node of the home's Node table (the
  // home node's own is the first session) and closes those of gone nodes.
  function syncPeers() {
    const want = new Map();
    for (const n of meshNodes()) if (n.EndpointID) want.set(n.EndpointID, n.Address);
    want.set(state.home.eid, state.home.host);
    for (const [eid, p] of state.peers) {
      if (p !== state.home && (!want.has(eid) || want.get(eid) !== p.host)) { p.close(); state.peers.delete(eid); }
    }
    for (const [eid, addr] of want) if (!state.peers.has(eid) && addr) state.peers.set(eid, new Peer(eid, addr));
  }

  // recordPlan adds the leader's plan to the score history when it is new.
  function recordPlan(v) {
    const run = v[PLAN + "LastRun"], score = parseFloat(v[PLAN + "Score"]);
    if (!run || run.startsWith("0001-") || isNaN(score)) return;
    const last = state.history[state.history.length - 1];
    if (last && last.run === run && last.score === score) return;
    state.history.push({ run, t: Date.parse(run) || Date.now(), score, baseline: parseFloat(v[PLAN + "BaselineScore"]) });
    if (state.history.length > HISTORY) state.history.shift();
  }

  // ---- rendering ----

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (attrs[k] === undefined || attrs[k] === null) continue;
      if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (const c of kids.flat(Infinity)) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  const svg = (tag, attrs) => {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  };
  const table = (cls, heads, body) => el("table", { class: cls }, el("thead", {}, el("tr", {}, heads.map((h) => el("th", {}, h)))), el("tbody", {}, body));
  const bar = (pct, cls) => el("span", { class: "bar " + (cls || "") }, el("span", { style: "width:" + Math.max(0, Math.min(100, pct)) + "%" }));
  const pct = (s) => { const n = parseInt(s, 10); return isNaN(n) || n < 0 ? null : n; };
  const nameOf = (eid) => { const p = state.peers.get(eid); return p ? p.name() : eid; };
  const timeOf = (s) => (!s || s.startsWith("0001-") ? "never" : new Date(s).toLocaleTimeString());
  const byName = (a, b) => nameOf(a).localeCompare(nameOf(b), undefined, { numeric: true });

  let renderTimer = null;
  function render() {
    if (renderTimer === null) renderTimer = setTimeout(() => { renderTimer = null; draw(); }, 50);
  }

  function draw() {
    const root = document.getElementById("app");
    if (!state.home) {
      root.replaceChildren(el("p", { class: "err" }, state.error || "loading…"));
      return;
    }
    const eids = [...new Set([...meshNodes().map((n) => n.EndpointID), state.home.eid])].filter(Boolean).sort(byName);
    const lp = state.peers.get(leaderID());
    document.getElementById("summary").replaceChildren(summary(lp));
    root.replaceChildren(
      section("Nodes", nodesTable(eids)),
      section("Radios", radiosTable(eids, lp)),
      section("Mesh links", linksTable(eids)),
      section("Channel plan", planView(lp)),
      section("Clients", clientsView(eids)));
  }

  const section = (title, ...body) => el("section", {}, el("h2", {}, title), body);

  function summary(lp) {
    const v = state.home.values;
    return el("span", {}, "served by ", el("b", {}, state.home.name()), " · mesh ", el("b", { id: "mesh-status" }, v[MESH + "Status"] || "?"),
      " · leader ", el("b", { id: "leader" }, lp ? lp.name() : leaderID() || "none"), " · term ", v[MESH + "Term"] || "0",
      " · as ", el("code", {}, state.ctrl));
  }

  function nodesTable(eids) {
    const byEID = new Map(meshNodes().map((n) => [n.EndpointID, n]));
    return table("nodes", ["Node", "Endpoint ID", "Address", "Status", "Reachable", "Session", "Clients"], eids.map((eid) => {
      const n = byEID.get(eid) || {}, p = state.peers.get(eid);
      const leader = eid === leaderID();
      return el("tr", { class: "node" + (leader ? " leader" : ""), "data-eid": eid },
        el("td", {}, p ? p.name() : eid, leader ? el("span", { class: "tag" }, "leader") : null),
        el("td", {}, el("code", {}, eid)), el("td", {}, n.Address || (p ? p.host : "")), el("td", {}, n.Status || ""),
        el("td", {}, n.Reachable === "true" ? "yes" : n.Reachable === "false" ? "no" : ""),
        el("td", { class: "session " + (p ? p.status : "none"), title: p ? p.err : "" }, p ? (p.status === "up" ? "live" : p.status) : "-"),
        el("td", {}, p && p.status === "up" ? countClients(p) : ""));
    }));
  }

  function countClients(p) {
    let n = 0;
    for (const k in p.values) if (/^Device\.WiFi\.AccessPoint\.\d+\.AssociatedDevice\.\d+\.MACAddress$/.test(k)) n++;
    return n;
  }

  function radiosTable(eids, lp) {
    const inputs = new Map(lp ? rows(lp.values, PLAN + "Input.").map((r) => [r.Radio, r]) : []);
    const assigned = new Map(lp ? rows(lp.values, PLAN + "Assignment.").map((r) => [r.Radio, r]) : []);
    const body = [];
    for (const eid of eids) {
      const p = state.peers.get(eid);
      const radios = p && p.status === "up" ? rows(p.values, "Device.WiFi.Radio.") : [];
      if (radios.length === 0) {
        // The node cannot be read: what the leader assigned it.
        for (const [key, a] of assigned) {
          if (!key.startsWith(eid + "/")) continue;
          body.push(el("tr", { class: "radio stale", "data-radio": key }, el("td", {}, nameOf(eid)), el("td", {}, key.slice(eid.length + 1)), el("td", {}, ""),
            el("td", { class: "channel" }, a.Channel), el("td", { class: "width" }, a.Bandwidth), el("td", { colspan: 3 }, "plan's assignment (node not reachable)")));
        }
        continue;
      }
      for (const r of radios) {
        const key = eid + "/" + r.Name, busy = pct(r["Stats.X_USPMESH_ChannelBusy"]), air = pct(r["Stats.X_USPMESH_Airtime"]);
        const load = inputs.get(key) ? parseFloat(inputs.get(key).Load) : NaN;
        body.push(el("tr", { class: "radio", "data-radio": key }, el("td", {}, p.name()), el("td", {}, r.Name), el("td", {}, r.OperatingFrequencyBand),
          el("td", { class: "channel" }, r.Channel), el("td", { class: "width" }, r.CurrentOperatingChannelBandwidth),
          el("td", {}, busy === null ? "–" : [bar(busy, "busy"), " " + busy + "%"]), el("td", {}, air === null ? "–" : [bar(air, "air"), " " + air + "%"]),
          el("td", {}, isNaN(load) ? "–" : Math.round(load * 100) + "%" + (inputs.get(key).Source === "Assumed" ? " (assumed)" : ""))));
      }
    }
    return table("radios", ["Node", "Radio", "Band", "Channel", "Width", "Channel busy", "Own airtime", "Plan load"], body);
  }

  function linksTable(eids) {
    // Which node and band each BSSID of the home is.
    const owner = new Map();
    for (const eid of eids) {
      const p = state.peers.get(eid);
      if (!p) continue;
      const radios = new Map(rows(p.values, "Device.WiFi.Radio.").map((r) => ["Device.WiFi.Radio." + r._i, r]));
      for (const s of rows(p.values, "Device.WiFi.SSID.")) {
        const r = radios.get((s.LowerLayers || "").split(",")[0]);
        if (s.BSSID) owner.set(s.BSSID.toUpperCase(), { eid, band: r ? r.OperatingFrequencyBand : "" });
      }
    }
    const links = new Map();
    for (const eid of eids) {
      const p = state.peers.get(eid);
      if (!p) continue;
      for (const r of rows(p.values, "Device.WiFi.NeighboringWiFiDiagnostic.Result.")) {
        const o = owner.get((r.BSSID || "").toUpperCase());
        if (!o || o.eid === eid) continue;
        const key = eid + "|" + o.eid + "|" + o.band, rssi = parseInt(r.SignalStrength, 10);
        if (!links.has(key) || links.get(key).rssi < rssi) links.set(key, { from: eid, to: o.eid, band: o.band, channel: r.Channel, rssi });
      }
    }
    if (links.size === 0) return el("p", { class: "muted" }, "no neighbour scan has heard another node yet");
    // A matrix: the row's node hears the column's, per band (best RSSI).
    const bands = [...new Set([...links.values()].map((l) => l.band))].sort();
    const cell = (from, to) => {
      if (from === to) return el("td", { class: "self" }, "–");
      const found = bands.map((b) => links.get(from + "|" + to + "|" + b)).filter(Boolean);
      if (found.length === 0) return el("td", { class: "link none" }, "not heard");
      return el("td", { class: "link" }, found.map((l) => el("span", { class: "rssi " + quality(l.rssi), title: l.band + " channel " + l.channel },
        l.band.replace("GHz", "") + " " + l.rssi)));
    };
    const scanned = (eid) => { const p = state.peers.get(eid); return p && rows(p.values, "Device.WiFi.NeighboringWiFiDiagnostic.Result.").length > 0; };
    return [table("links", ["hears ↓ / heard →", ...eids.map(nameOf)], eids.map((from) =>
      el("tr", {}, el("th", {}, nameOf(from)), scanned(from) ? eids.map((to) => cell(from, to)) :
        el("td", { class: "link none", colspan: eids.length }, "no neighbour scan yet")))),
    el("p", { class: "muted small" }, "RSSI in dBm by band (GHz), from each node's latest neighbour scan: ",
      el("span", { class: "rssi good" }, "≥ −65"), " ", el("span", { class: "rssi fair" }, "≥ −75"), " ", el("span", { class: "rssi weak" }, "weaker"))];
  }

  const quality = (rssi) => (rssi >= -65 ? "good" : rssi >= -75 ? "fair" : "weak");

  function planView(lp) {
    if (!lp || lp.status !== "up") return el("p", { class: "muted" }, "the leader's plan is not readable yet");
    const v = lp.values, f = (k) => v[PLAN + k] || "";
    const facts = el("dl", { class: "plan" },
      [["Status", f("Status")], ["Score", f("Score")], ["Baseline", f("BaselineScore")], ["Measured", f("MeasuredScore")],
        ["Last run", timeOf(f("LastRun"))], ["Last applied", timeOf(f("LastApplied"))], ["Switches", f("Switches")], ["Message", f("Message")]]
        .map(([k, x]) => [el("dt", {}, k), el("dd", {}, x)]));
    // The Assignment rows are the latest plan's; a later plan that moves
    // nothing replaces them, so the page keeps the last that moved radios.
    let switches = rows(v, PLAN + "Assignment.").filter((a) => a.Channel !== a.PreviousChannel || (a.Status !== "Unchanged" && a.Status !== "Pending"));
    if (switches.length > 0) state.lastSwitches = switches;
    else if (state.lastSwitches) switches = state.lastSwitches;
    const sw = switches.length === 0 ? el("p", { class: "muted" }, "the latest plan moved no radio") :
      table("switches", ["Radio", "From", "To", "Width", "Result"], switches.map((a) => {
        const i = a.Radio.lastIndexOf("/");
        return el("tr", {}, el("td", {}, nameOf(a.Radio.slice(0, i)) + " " + a.Radio.slice(i + 1)), el("td", {}, a.PreviousChannel),
          el("td", {}, a.Channel), el("td", {}, a.Bandwidth), el("td", { class: "st-" + a.Status }, a.Status));
      }));
    return el("div", { class: "plan-grid" }, el("div", {}, facts, el("h3", {}, f("LastApplied").startsWith("0001-") || !f("LastApplied") ? "Switches planned (none applied yet)" : "Last switches (applied " + timeOf(f("LastApplied")) + ")"), sw),
      el("div", {}, el("h3", {}, "Score over time (lower is better)"), chart()));
  }

  // chart draws the score history: the plan's score and its baseline.
  function chart() {
    const W = 520, H = 180, P = 34, h = state.history;
    const s = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img" });
    if (h.length === 0) {
      const t = svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "muted" });
      t.textContent = "waiting for the leader's first plan";
      s.append(t);
      return s;
    }
    const vals = h.flatMap((p) => [p.score, p.baseline]).filter((x) => !isNaN(x));
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (hi - lo < 1e-9) { lo -= 0.01; hi += 0.01; }
    const t0 = h[0].t, t1 = h[h.length - 1].t;
    const x = (p, i) => P + (W - 2 * P) * (t1 > t0 ? (p.t - t0) / (t1 - t0) : h.length > 1 ? i / (h.length - 1) : 0.5);
    const y = (val) => H - P + (2 * P - H) * (val - lo) / (hi - lo);
    s.append(svg("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, class: "axis" }), svg("line", { x1: P, y1: P / 2, x2: P, y2: H - P, class: "axis" }));
    for (const [val, yy] of [[hi, y(hi)], [lo, y(lo)]]) {
      const t = svg("text", { x: P - 4, y: yy + 4, "text-anchor": "end", class: "label" });
      t.textContent = val.toFixed(3);
      s.append(t);
    }
    for (const [key, cls] of [["baseline", "baseline"], ["score", "score"]]) {
      const pts = h.map((p, i) => (isNaN(p[key]) ? null : x(p, i).toFixed(1) + "," + y(p[key]).toFixed(1))).filter(Boolean);
      s.append(svg("polyline", { points: pts.join(" "), class: cls }));
      if (pts.length === 1) { const [cx, cy] = pts[0].split(","); s.append(svg("circle", { cx, cy, r: 3, class: cls })); }
    }
    const legend = svg("text", { x: W - P, y: 14, "text-anchor": "end", class: "label" });
    legend.textContent = "— score  ‒ ‒ baseline  (" + h.length + " runs, since " + new Date(t0).toLocaleTimeString() + ")";
    s.append(legend);
    return s;
  }

  function clientsView(eids) {
    const body = [];
    for (const eid of eids) {
      const p = state.peers.get(eid);
      if (!p || p.status !== "up") continue;
      const ssids = new Map(rows(p.values, "Device.WiFi.SSID.").map((s) => ["Device.WiFi.SSID." + s._i, s]));
      const radios = new Map(rows(p.values, "Device.WiFi.Radio.").map((r) => ["Device.WiFi.Radio." + r._i, r]));
      for (const ap of rows(p.values, "Device.WiFi.AccessPoint.")) {
        const s = ssids.get(ap.SSIDReference) || {}, r = radios.get((s.LowerLayers || "").split(",")[0]) || {};
        const clients = rows(Object.fromEntries(Object.entries(ap).filter(([k]) => k.startsWith("AssociatedDevice."))), "AssociatedDevice.");
        body.push(el("tr", { class: "ap" }, el("td", {}, p.name()), el("td", {}, (s.SSID || "?") + " (" + (r.OperatingFrequencyBand || s.Name || "") + ")"),
          el("td", { class: "count" }, clients.length),
          el("td", {}, clients.map((c) => el("span", { class: "client", title: "SNR " + c.SNR + " dB, " + Math.round((c.LastDataDownlinkRate || 0) / 1000) + " Mbit/s" },
            c.MACAddress + " " + c.SignalStrength + " dBm")))));
      }
    }
    if (body.length === 0) return el("p", { class: "muted" }, "no access point readable yet");
    return table("clients", ["Node", "Access point", "Clients", "Stations (signal)"], body);
  }

  // ---- start ----

  async function main() {
    try {
      const r = await fetch("config.json", { cache: "no-store" });
      state.cfg = await r.json();
    } catch (e) {
      state.error = "cannot read config.json: " + e;
      draw();
      return;
    }
    state.ctrl = new URLSearchParams(location.search).get("eid") || state.cfg.controller;
    if (new URLSearchParams(location.search).get("eid")) state.cfg.certificate = false;
    state.home = new Peer(state.cfg.agent, location.hostname);
    state.peers.set(state.home.eid, state.home);
    render();
  }
  main();
})();
