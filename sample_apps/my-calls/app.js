/* My calls: reads the call log from the personal cloud in the browser and draws it.
 * The token and the cloud's address are templated into index.html by the platform
 * ({{.Token}}, {{.Domain}}); every call goes to that address only. */
(function () {
  "use strict";
  const S = window.CallStats;
  const PAGE = 1000; // the stack's largest _find page
  const el = (id) => document.getElementById(id);
  const root = document.querySelector("[data-cozy-token]");
  const token = root.dataset.cozyToken;
  const domain = root.dataset.cozyDomain;
  let docs = [];

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  // Every document of the doctype: _find on _id (no index needed), page by page (bookmark).
  async function findAll(doctype) {
    const out = [];
    let bookmark = "";
    for (;;) {
      const body = { selector: { _id: { $gt: null } }, limit: PAGE };
      if (bookmark) body.bookmark = bookmark;
      const r = await fetch(location.protocol + "//" + domain + "/data/" + doctype + "/_find", {
        method: "POST",
        headers: { Authorization: "Bearer " + token, "Content-Type": "application/json",
          Accept: "application/json" },
        body: JSON.stringify(body),
      });
      if (r.status === 404) return out; // no call log in this cloud
      if (!r.ok) throw new Error("the personal cloud answered " + r.status);
      const page = await r.json();
      out.push(...page.docs);
      bookmark = page.bookmark;
      if (page.docs.length < PAGE || !bookmark) return out;
    }
  }

  function heatmap(stats) {
    const max = Math.max(1, ...stats.seconds.flat());
    const cell = 30;
    let svg = '<svg viewBox="0 0 ' + (50 + 24 * cell) + " " + (30 + 7 * cell) +
      '" width="100%" role="img" aria-label="Minutes on the phone by weekday and hour">';
    stats.seconds.forEach((row, wd) => {
      svg += '<text x="0" y="' + (wd * cell + 20) + '" font-size="12">' + S.WEEKDAYS[wd] +
        "</text>";
      row.forEach((s, h) => {
        const a = (s / max).toFixed(3);
        svg += '<rect x="' + (50 + h * cell) + '" y="' + wd * cell + '" width="' + (cell - 2) +
          '" height="' + (cell - 2) + '" fill="#1f77b4" fill-opacity="' + a + '"><title>' +
          S.WEEKDAYS[wd] + " " + h + " h: " + S.formatDuration(s) + " (" +
          stats.counts[wd][h] + " calls)</title></rect>";
      });
    });
    for (let h = 0; h < 24; h += 3) {
      svg += '<text x="' + (50 + h * cell) + '" y="' + (7 * cell + 16) + '" font-size="11">' +
        h + " h</text>";
    }
    return svg + "</svg>";
  }

  function monthBars(stats) {
    const months = stats.months;
    if (!months.length) return "";
    const w = 900;
    const h = 200;
    const slot = (w - 40) / months.length;
    const top = Math.max(1, ...months.map((m) => Math.max(m.calls, m.sms)));
    let svg = '<svg viewBox="0 0 ' + w + " " + h + '" width="100%" role="img">';
    months.forEach((m, i) => {
      [["calls", "#1f77b4"], ["sms", "#2ca02c"]].forEach(([k, colour], j) => {
        const bh = ((h - 40) * m[k]) / top;
        svg += '<rect x="' + (40 + i * slot + j * slot * 0.4).toFixed(1) + '" y="' +
          (h - 20 - bh).toFixed(1) + '" width="' + (slot * 0.38).toFixed(1) + '" height="' +
          bh.toFixed(1) + '" fill="' + colour + '"><title>' + m.month + ": " + m[k] + " " +
          (k === "sms" ? "SMS" : "calls (" + S.formatDuration(m.callSeconds) + ")") +
          "</title></rect>";
      });
      svg += '<text x="' + (40 + i * slot).toFixed(1) + '" y="' + (h - 5) +
        '" font-size="10">' + m.month.slice(5) + "</text>";
    });
    svg += '<rect x="' + (w - 160) + '" y="4" width="10" height="10" fill="#1f77b4"/>' +
      '<text x="' + (w - 146) + '" y="13" font-size="11">calls</text>' +
      '<rect x="' + (w - 90) + '" y="4" width="10" height="10" fill="#2ca02c"/>' +
      '<text x="' + (w - 76) + '" y="13" font-size="11">SMS</text>' +
      '<text x="0" y="24" font-size="10">' + top + "</text>";
    return svg + "</svg>";
  }

  function contactsTable(stats) {
    const top = stats.contacts.slice(0, 25);
    const max = Math.max(1, ...top.map((c) => c.seconds));
    return "<table><tr><th>Contact</th><th>Calls</th><th>Time on the phone</th><th></th>" +
      "<th>SMS</th></tr>" + top.map((c) =>
      "<tr><td>" + esc(S.formatNumber(c.number)) + (c.ownLine ? " <em>(a line of the " +
        "household)</em>" : "") + "</td><td>" + c.calls + "</td><td>" +
        S.formatDuration(c.seconds) + '</td><td><svg width="160" height="10"><rect width="' +
        ((160 * c.seconds) / max).toFixed(1) + '" height="10" fill="#1f77b4"/></svg></td><td>' +
        c.sms + "</td></tr>").join("") + "</table>";
  }

  function render() {
    const stats = S.aggregate(docs, el("line").value);
    const t = stats.totals;
    el("kpis").innerHTML =
      '<div class="kpi"><b>' + S.formatDuration(t.callSeconds) + "</b>on the phone</div>" +
      '<div class="kpi"><b>' + t.calls + "</b>calls (" + t.voicemail + " to voicemail)</div>" +
      '<div class="kpi"><b>' + (t.smsIn + t.smsOut) + "</b>SMS (" + t.smsOut + " sent)</div>" +
      '<div class="kpi"><b>' + stats.contacts.length + "</b>contacts</div>";
    el("period").textContent = t.first ? "From " + t.first.slice(0, 10) + " to " +
      t.last.slice(0, 10) + "." : "No calls or SMS.";
    el("contacts").innerHTML = contactsTable(stats);
    el("heatmap").innerHTML = heatmap(stats);
    el("months").innerHTML = monthBars(stats);
  }

  async function main() {
    if (!token || token.indexOf("{{") === 0) {
      el("status").textContent = "Open this app from your personal cloud: it gives the app " +
        "its access token.";
      return;
    }
    el("status").textContent = "Reading your call log…";
    try {
      docs = await findAll(S.DOCTYPE);
    } catch (e) {
      el("status").textContent = "Cannot read your call log: " + e.message;
      return;
    }
    const lines = Array.from(new Set(docs.map((d) => d.msisdn))).sort();
    el("line").innerHTML = '<option value="">All lines</option>' + lines.map((l) =>
      '<option value="' + esc(l) + '">' + esc(S.formatNumber(l)) + "</option>").join("");
    el("line").addEventListener("change", render);
    el("status").textContent = docs.length + " calls and SMS read.";
    render();
  }

  main();
})();
