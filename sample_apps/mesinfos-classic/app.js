// Written the way the MesInfos pilot's apps were: the page gets the token and the domain from
// the personal cloud (data-cozy-token, data-cozy-domain), cozy-client-js (loaded by
// {{.CozyClientJS}}) queries the data with a Mango index, the Cozy bar ({{.CozyBar}}) is set up.
"use strict";

var PAGE = 1000;

function pages(index, selector, skip, found) {
  // queryDocuments returns at most `limit` documents: ask again with `skip` until a page is short
  return cozy.client.data.query(index, { selector: selector, limit: PAGE, skip: skip })
    .then(function (docs) {
      var all = found.concat(docs);
      return docs.length < PAGE ? all : pages(index, selector, skip + PAGE, all);
    });
}

function readAll(doctype) {
  // the index and selector of the pilot's developer kit for every dataset
  return cozy.client.data.defineIndex(doctype, ["_id"]).then(function (index) {
    return pages(index, { _id: { $gte: null } }, 0, []);
  });
}

function byTime(docs) {
  return docs.slice().sort(function (a, b) {
    return a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0;
  });
}

function day(ts) {
  return String(ts || "").slice(0, 10);
}

function show(id, summary, items) {
  var section = document.getElementById(id);
  section.querySelector(".summary").innerHTML = summary;
  var list = section.querySelector(".latest");
  list.textContent = "";
  items.forEach(function (text) {
    var li = document.createElement("li");
    li.textContent = text;
    list.appendChild(li);
  });
}

function period(docs) {
  var sorted = byTime(docs);
  return sorted.length ? " from " + day(sorted[0].timestamp) + " to " +
    day(sorted[sorted.length - 1].timestamp) : "";
}

function showGeopoints(docs) {
  var latest = byTime(docs).slice(-3).reverse().map(function (d) {
    return d.timestamp + ": " + d.latitude.toFixed(4) + ", " + d.longitude.toFixed(4);
  });
  show("geopoints", "<b>" + docs.length + "</b> positions" + period(docs), latest);
}

function showCalls(docs) {
  var sms = docs.filter(function (d) { return d.chipType === "M"; }).length;
  var seconds = docs.reduce(function (s, d) { return s + (d.chipType === "M" ? 0 : d.length || 0); }, 0);
  var latest = byTime(docs).slice(-3).reverse().map(function (d) {
    return d.timestamp + ": " + d.type + (d.chipType === "M" ? "" : " (" + d.length + " s)");
  });
  show("calls", "<b>" + (docs.length - sms) + "</b> calls (" + Math.round(seconds / 60) +
       " minutes) and <b>" + sms + "</b> SMS" + period(docs), latest);
}

function showVideos(docs) {
  var spent = docs.reduce(function (s, d) { return s + (d.price || 0); }, 0);
  var latest = byTime(docs).reverse().map(function (d) {
    return day(d.timestamp) + ": " + (d.content && d.content.title) + " (" + d.price + " €)";
  });
  show("videos", "<b>" + docs.length + "</b> videos, " + spent.toFixed(2) + " € in all", latest);
}

document.addEventListener("DOMContentLoaded", function () {
  var root = document.querySelector("[role=application]");
  var data = root.dataset;
  cozy.client.init({ cozyURL: "//" + data.cozyDomain, token: data.cozyToken });
  cozy.bar.init({ appName: data.cozyAppName, appEditor: data.cozyAppEditor,
                  iconPath: data.cozyIconPath, lang: data.cozyLocale });
  var status = document.getElementById("status");
  Promise.all([
    readAll("fr.orange.geopoint").then(showGeopoints),
    readAll("fr.orange.phonecommunicationlog").then(showCalls),
    readAll("fr.orange.videostream").then(showVideos)
  ]).then(function () {
    status.textContent = "Read from your personal cloud.";
  }).catch(function (err) {
    status.className = "error";
    status.textContent = "Could not read your data: " + (err && err.message || err);
  });
});
