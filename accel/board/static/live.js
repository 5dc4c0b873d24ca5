// accel board: a running job's page follows the job without reloading.
// Every second it asks the page's JSON (the address in #live's data-json) and updates the
// status, what runs now (#live-text) and the output (#output); once the job has ended it
// fetches the page once more and puts its <main> in place (files, timings, result), and
// stops. Text is only ever set as text (textContent), never as markup.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  var url = live.getAttribute("data-json");
  var shown = parseInt(live.getAttribute("data-shown"), 10) || 262144;
  var busy = false, done = false, idle = 0, timer = null;

  function setStatus(word) {
    var span = document.querySelector("#job-status .st");
    if (!span || span.textContent === word) return;
    span.textContent = word;
    span.className = "st st-" + (/^[a-z]+$/.test(word) ? word : "other");
  }

  function setLive(info) {
    var el = document.getElementById("live-text");
    if (!el) return;
    var text = "";
    if (info) {
      text = "now: " + (info.part || "starting");
      if (info.slices_done !== null && info.slices_done !== undefined) {
        text += ", " + info.slices_done + "/" + info.slices + " slices done";
      }
      text += " \u00b7 running " + Math.round(info.elapsed) + "s";
      if (info.status) text += " \u00b7 " + info.status;
    }
    if (el.textContent !== text) el.textContent = text;
  }

  function label(part) {
    return /^[0-9]+$/.test(part) ? "analysis slice " + part : part;
  }

  function setOutput(texts) {
    var box = document.getElementById("output");
    if (!box) return;
    Object.keys(texts).forEach(function (part) {
      var text = texts[part];
      if (!text) return;
      var pre = null;
      box.querySelectorAll("pre[data-part]").forEach(function (p) {
        if (p.getAttribute("data-part") === part) pre = p;
      });
      if (!pre) {
        var none = box.querySelector(".note");
        if (none) none.remove();
        var h3 = document.createElement("h3");
        h3.textContent = label(part);
        pre = document.createElement("pre");
        pre.setAttribute("data-part", part);
        box.appendChild(h3);
        box.appendChild(pre);
      }
      var tail = text.length > shown ? text.slice(-shown) : text;
      if (pre.textContent !== tail) {
        var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.textContent = tail;
        if (atEnd) pre.scrollTop = pre.scrollHeight;
      }
    });
  }

  function finalPage() {
    fetch(url.replace(/[?&]json=1$/, ""), {headers: {Accept: "text/html"}, cache: "no-store"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var main = doc.querySelector("main"), mine = document.querySelector("main");
        if (main && mine) mine.replaceWith(document.adoptNode(main));
      })
      .catch(function () {});
  }

  function poll() {
    if (busy || done) return;
    busy = true;
    fetch(url, {headers: {Accept: "application/json"}, cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        setStatus(d.status);
        setOutput(d.output || {});
        setLive(d.live);
        // unfinished: being set up, or it died; asked a minute at most
        idle = d.status === "unfinished" ? idle + 1 : 0;
        if ((d.status !== "running" && d.status !== "unfinished") || idle > 60) {
          done = true;
          clearInterval(timer);
          if (d.status !== "unfinished") finalPage();
        }
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }

  timer = setInterval(poll, 1000);
  poll();
})();
