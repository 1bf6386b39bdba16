// Live updates over /api/v1/ws (htmx ws extension). Frames are JSON {type, id?, data}: a
// notification raises the unread badge and shows a toast; a notification or a job update asks
// the fragments marked data-live to re-fetch themselves, a price or deal update only the chart of
// that deal (data-live-deal). The socket watches the deals shown on the page ({type:"watch"}):
// the server sends public price updates only for those. No eval, no inline HTML.
(function () {
  "use strict";
  function toast(text) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var t = document.createElement("div");
    t.className = "toast";
    t.setAttribute("role", "status");
    t.textContent = text;
    box.appendChild(t);
    setTimeout(function () { t.remove(); }, 6000);
  }
  function bump(by) {
    var b = document.getElementById("unread-badge");
    if (!b) { return; }
    var n = Math.max(0, (parseInt(b.getAttribute("data-count") || "0", 10) || 0) + by);
    b.setAttribute("data-count", String(n));
    b.textContent = String(n);
  }
  var socket = null;
  var watched = "";
  // Tells the server which deals this page shows (their price updates refresh their charts).
  function watchShown() {
    if (!socket) { return; }
    var ids = [];
    document.querySelectorAll("[data-live-deal]").forEach(function (el) {
      var id = el.getAttribute("data-live-deal");
      if (/^[0-9a-f-]{36}$/.test(id || "") && ids.indexOf(id) < 0 && ids.length < 100) { ids.push(id); }
    });
    var key = ids.join(",");
    if (key === watched) { return; }
    watched = key;
    socket.send(JSON.stringify({ type: "watch", deals: ids }));
  }
  document.addEventListener("htmx:afterSettle", watchShown);
  document.addEventListener("htmx:wsClose", function () { socket = null; });
  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var frame;
    try { frame = JSON.parse(evt.detail.message); } catch (e) { return; }
    evt.preventDefault();
    if (!frame || typeof frame.type !== "string") { return; }
    if (frame.type === "connected") {
      // The server has subscribed this socket: live frames from now on reach the page.
      document.body.setAttribute("data-socket", "connected");
      socket = evt.detail.socketWrapper;
      watched = "";
      watchShown();
      return;
    }
    if (frame.type === "watching") {
      var deals = frame.data && frame.data.deals;
      document.body.setAttribute("data-watching", Array.isArray(deals) ? String(deals.length) : "all");
      return;
    }
    if (frame.type === "pong" || frame.type === "error") { return; }
    if (frame.type === "notification") {
      bump(1);
      toast((frame.data && frame.data.title) || "New alert");
    }
    var selector = "[data-live]";
    if (frame.type === "price_update" || frame.type === "deal_update") {
      var id = frame.data && frame.data.deal_id;
      if (typeof id !== "string" || !/^[0-9a-f-]{36}$/.test(id)) { return; }
      selector = '[data-live-deal="' + id + '"]';
    }
    document.querySelectorAll(selector).forEach(function (el) {
      if (window.htmx) { window.htmx.trigger(el, "live-refresh"); }
    });
  });
})();
