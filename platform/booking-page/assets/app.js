/* Atrium booking page: the booking flow and "my bookings" over the public JSON API,
   same origin, no library. Times come from the API as UTC instants and are shown in the
   visitor's time zone (detected, changeable) with Intl; the tenant's zone beside. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("atrium-config").textContent);
  var S = cfg.strings;
  var $ = function (id) { return document.getElementById(id); };
  var STORE = "atrium:" + cfg.slug;
  var state = {
    tz: detectZone(),
    services: [],
    service: null,
    month: null, // {y, m} (m 0–11) in the visitor's zone
    slots: [], // the month's slots from the API
    day: null, // "YYYY-MM-DD" in the visitor's zone
    slot: null,
    hold: null,
    timer: null,
    member: null, // {household_id, household_member_id, label} or null for oneself
    me: null
  };

  function t(key, vars) {
    var s = S[key] || key;
    if (vars) Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    return s;
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "on") Object.keys(attrs.on).forEach(function (ev) { e.addEventListener(ev, attrs.on[ev]); });
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  /* ---------- session and API ---------- */

  function session() {
    try { return JSON.parse(sessionStorage.getItem(STORE)) || null; } catch (e) { return null; }
  }
  function saveSession(s) {
    if (s) sessionStorage.setItem(STORE, JSON.stringify(s)); else sessionStorage.removeItem(STORE);
    showWho();
  }

  function api(method, path, body, auth) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    var s = session();
    if (auth && s) headers["Authorization"] = "Bearer " + s.access_token;
    return fetch("/v1" + path, {
      method: method, headers: headers, credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: res.status, data: data };
      });
    }).then(function (r) {
      if (r.status === 401 && auth && s && s.refresh_token && !s.refreshing) {
        return api("POST", "/auth/refresh", { refresh_token: s.refresh_token }, false).then(function (rr) {
          if (rr.status !== 200) { saveSession(null); return r; }
          saveSession({ access_token: rr.data.access_token, refresh_token: rr.data.refresh_token, email: s.email });
          return api(method, path, body, auth);
        });
      }
      return r;
    }, function () { return { status: 0, data: null }; });
  }

  function problemText(r) {
    if (r.status === 429) return t("rate_limited");
    var d = r.data || {};
    var parts = [];
    if (d.detail) parts.push(d.detail);
    (d.errors || []).forEach(function (e) { parts.push(e.field + ": " + e.message); });
    return parts.length ? parts.join(" ") : t("error");
  }

  function say(text) {
    var box = $("status");
    if (!box) return;
    if (!text) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = text;
    box.hidden = false;
  }

  /* ---------- time zones and formats (Intl only) ---------- */

  function detectZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  }

  function zones() {
    var list = [];
    try { list = Intl.supportedValuesOf("timeZone").slice(); } catch (e) { list = []; }
    [state.tz, cfg.tenant_zone, "UTC"].forEach(function (z) { if (z && list.indexOf(z) < 0) list.push(z); });
    return list.sort();
  }

  function fillZones() {
    var select = $("zone");
    if (!select) return;
    clear(select);
    zones().forEach(function (z) {
      select.appendChild(el("option", { value: z, text: z.replace(/_/g, " "), selected: z === state.tz ? "selected" : null }));
    });
    select.value = state.tz;
    select.addEventListener("change", function () {
      state.tz = select.value;
      if (cfg.mode === "me") renderBookings(); else rerenderZone();
    });
  }

  /* Calendar parts of an instant in a zone, 24-hour. */
  function parts(date, tz) {
    var f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
    var out = {};
    f.formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return { y: +out.year, m: +out.month - 1, d: +out.day, key: out.year + "-" + out.month + "-" + out.day,
      hm: out.hour + ":" + out.minute };
  }

  function fmtTime(date, tz) {
    return new Intl.DateTimeFormat(undefined, { timeZone: tz, hour: "2-digit", minute: "2-digit" }).format(date);
  }
  function fmtDate(date, tz) {
    return new Intl.DateTimeFormat(undefined, { timeZone: tz, weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(date);
  }
  function fmtDateTime(date, tz) { return fmtDate(date, tz) + ", " + fmtTime(date, tz); }
  /* A calendar date (no zone) for display: noon UTC of that date, shown in UTC. */
  function fmtDay(key) {
    var p = key.split("-");
    return new Intl.DateTimeFormat(undefined, { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" })
      .format(new Date(Date.UTC(+p[0], +p[1] - 1, +p[2], 12)));
  }
  function money(amount, currency) {
    try { return new Intl.NumberFormat(undefined, { style: "currency", currency: currency }).format(Number(amount)); }
    catch (e) { return amount + " " + currency; }
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* ---------- chrome ---------- */

  function showWho() {
    var s = session();
    var who = $("who"), out = $("signout");
    if (who) who.textContent = s && s.email ? t("signed_in_as", { email: s.email }) : "";
    if (out) out.hidden = !s;
  }

  function signOut() {
    var s = session();
    if (s && s.refresh_token) api("POST", "/auth/logout", { refresh_token: s.refresh_token }, false);
    saveSession(null);
    location.href = cfg.base ? cfg.base : "/";
  }

  function show(stepId) {
    ["step-services", "step-date", "step-auth", "step-participants", "step-confirm", "step-done"].forEach(function (id) {
      var s = $(id);
      if (s) s.hidden = id !== stepId;
    });
    var heading = document.querySelector("#" + stepId + " h1");
    if (heading) heading.focus();
    notifyHeight();
  }

  /* Auto-resize when embedded: the parent's embed.js listens. */
  function notifyHeight() {
    if (window.parent === window) return;
    window.parent.postMessage({ type: "atrium-booking:height", height: document.documentElement.scrollHeight }, "*");
  }

  /* ---------- step 1: services ---------- */

  function durationText(s) {
    var d = s.duration || {};
    if (d.minutes) return t("minutes", { n: d.minutes });
    if (d.min_minutes) return t("minutes", { n: d.min_minutes + "–" + d.max_minutes });
    if (d.min_nights) return t("nights", { min: d.min_nights, max: d.max_nights });
    return "";
  }
  function priceText(s) {
    var p = s.price || {};
    var text = money(p.base_price, p.currency);
    return p.varies_by_time || p.hourly_rate ? t("from_price", { price: text }) : text;
  }

  function loadServices() {
    return api("GET", "/public/" + encodeURIComponent(cfg.slug) + "/service-templates?limit=200").then(function (r) {
      $("services-loading").hidden = true;
      var list = $("services");
      clear(list);
      state.services = r.status === 200 ? r.data.data : [];
      if (!state.services.length) {
        list.appendChild(el("li", { text: t("no_services") }));
        return;
      }
      state.services.forEach(function (s) {
        var button = el("button", { type: "button", "data-service-id": s.id, on: { click: function () { chooseService(s); } } }, [
          el("strong", { text: s.name }),
          el("span", { class: "meta", text: durationText(s) + " · " + priceText(s) }),
          s.description ? el("span", { class: "meta", text: s.description }) : null
        ]);
        list.appendChild(el("li", {}, [button]));
      });
      var params = new URLSearchParams(location.search);
      var wanted = params.get("service");
      var pre = state.services.filter(function (s) { return s.id === wanted; })[0];
      if (pre) chooseService(pre);
      notifyHeight();
    });
  }

  function chooseService(s) {
    state.service = s;
    state.day = null;
    $("chosen-service").textContent = s.name + " · " + durationText(s) + " · " + priceText(s);
    var params = new URLSearchParams(location.search);
    var date = /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") || "") ? params.get("date") : null;
    var now = parts(new Date(), state.tz);
    state.month = date ? { y: +date.slice(0, 4), m: +date.slice(5, 7) - 1 } : { y: now.y, m: now.m };
    show("step-date");
    loadMonth();
  }

  /* ---------- step 2: dates ---------- */

  function tenantZoneLine() {
    $("tenant-zone").textContent = t("tenant_zone", { name: cfg.tenant_name, zone: cfg.tenant_zone.replace(/_/g, " ") });
  }

  function slotQuery() {
    var s = state.service, d = s.duration || {};
    var q = "service_template_id=" + s.id;
    if (d.min_minutes) q += "&duration_minutes=" + d.min_minutes;
    if (d.min_nights) q += "&nights=" + d.min_nights;
    return q;
  }

  /* The month's slots, from a little before its first day to a little after its last (any
     zone's local month lies inside), in windows the public search takes (≤ 31 days). */
  function loadMonth() {
    var y = state.month.y, m = state.month.m;
    var from = new Date(Date.UTC(y, m, 1) - 15 * 3600 * 1000);
    var to = new Date(Date.UTC(y, m + 1, 1) + 15 * 3600 * 1000);
    var now = new Date();
    if (from < now) from = now;
    renderMonthFrame();
    if (to <= from) { state.slots = []; renderDays(); return Promise.resolve(); }
    var windows = [], start = from;
    while (start < to) {
      var end = new Date(Math.min(to.getTime(), start.getTime() + 15 * 86400 * 1000));
      windows.push([start, end]);
      start = end;
    }
    var service = state.service;
    return Promise.all(windows.map(function (w) { return fetchSlots(w[0], w[1], []); })).then(function (chunks) {
      if (state.service !== service) return;
      var seen = {};
      state.slots = [].concat.apply([], chunks).filter(function (s) {
        if (seen[s.start]) return false;
        seen[s.start] = true;
        return true;
      });
      renderDays();
      if (state.day) renderTimes(false);
    });
  }

  function fetchSlots(from, to, acc) {
    var q = slotQuery() + "&from=" + encodeURIComponent(from.toISOString()) + "&to=" + encodeURIComponent(to.toISOString());
    return api("GET", "/public/" + encodeURIComponent(cfg.slug) + "/availability?" + q).then(function (r) {
      if (r.status !== 200) { say(problemText(r)); return acc; }
      acc = acc.concat(r.data.slots);
      if (r.data.truncated && r.data.slots.length) {
        var last = new Date(new Date(r.data.slots[r.data.slots.length - 1].start).getTime() + 1000);
        if (last < to) return fetchSlots(last, to, acc);
      }
      return acc;
    });
  }

  function slotsOn(key) {
    return state.slots.filter(function (s) { return parts(new Date(s.start), state.tz).key === key; })
      .sort(function (a, b) { return a.start < b.start ? -1 : 1; });
  }

  function renderMonthFrame() {
    var label = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", month: "long", year: "numeric" })
      .format(new Date(Date.UTC(state.month.y, state.month.m, 15)));
    $("month-label").textContent = label;
    var now = parts(new Date(), state.tz);
    $("prev-month").disabled = state.month.y < now.y || (state.month.y === now.y && state.month.m <= now.m);
    var head = $("weekdays");
    clear(head);
    for (var i = 0; i < 7; i++) {
      var day = new Date(Date.UTC(2024, 0, 1 + i, 12)); // 2024-01-01 is a Monday
      head.appendChild(el("th", { scope: "col", abbr: new Intl.DateTimeFormat(undefined, { timeZone: "UTC", weekday: "long" }).format(day),
        text: new Intl.DateTimeFormat(undefined, { timeZone: "UTC", weekday: "short" }).format(day) }));
    }
    clear($("days"));
  }

  function renderDays() {
    var body = $("days");
    clear(body);
    var y = state.month.y, m = state.month.m;
    var first = new Date(Date.UTC(y, m, 1));
    var lead = (first.getUTCDay() + 6) % 7;
    var count = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    var perDay = {};
    state.slots.forEach(function (s) {
      var k = parts(new Date(s.start), state.tz).key;
      perDay[k] = (perDay[k] || 0) + 1;
    });
    var row = el("tr"), cells = 0, any = false, tabbable = null, buttons = [];
    for (var i = 0; i < lead; i++) { row.appendChild(el("td")); cells++; }
    for (var d = 1; d <= count; d++) {
      var key = y + "-" + pad(m + 1) + "-" + pad(d);
      var n = perDay[key] || 0;
      var b = el("button", {
        type: "button", "data-date": key, disabled: n ? null : "disabled", tabindex: "-1",
        "aria-label": fmtDay(key) + (n ? " · " + n : ""), "aria-pressed": key === state.day ? "true" : "false", text: String(d)
      });
      if (n) {
        any = true;
        buttons.push(b);
        if (!tabbable || key === state.day) tabbable = b;
        b.addEventListener("click", chooseDay.bind(null, key));
        b.addEventListener("keydown", dayKeys);
      }
      row.appendChild(el("td", {}, [b]));
      if (++cells % 7 === 0) { body.appendChild(row); row = el("tr"); }
    }
    if (cells % 7) { while (cells++ % 7) row.appendChild(el("td")); body.appendChild(row); }
    if (tabbable) tabbable.setAttribute("tabindex", "0");
    $("no-days").hidden = any;
    notifyHeight();
  }

  /* Arrow keys move between days with free times (roving tabindex); Home/End to the ends. */
  function dayKeys(ev) {
    var buttons = Array.prototype.slice.call(document.querySelectorAll("#days button:not([disabled])"));
    var i = buttons.indexOf(ev.currentTarget), j = i;
    var date = function (b) { return Date.parse(b.getAttribute("data-date") + "T00:00:00Z"); };
    var nearest = function (target, forward) {
      var pick = -1;
      buttons.forEach(function (b, k) {
        var x = date(b);
        if (forward ? x >= target && pick < 0 : x <= target) pick = k;
      });
      return pick;
    };
    switch (ev.key) {
      case "ArrowRight": j = Math.min(buttons.length - 1, i + 1); break;
      case "ArrowLeft": j = Math.max(0, i - 1); break;
      case "ArrowDown": j = nearest(date(buttons[i]) + 7 * 864e5, true); if (j < 0) j = i; break;
      case "ArrowUp": j = nearest(date(buttons[i]) - 7 * 864e5, false); if (j < 0) j = i; break;
      case "Home": j = 0; break;
      case "End": j = buttons.length - 1; break;
      default: return;
    }
    ev.preventDefault();
    buttons[i].setAttribute("tabindex", "-1");
    buttons[j].setAttribute("tabindex", "0");
    buttons[j].focus();
  }

  function chooseDay(key) {
    state.day = key;
    Array.prototype.forEach.call(document.querySelectorAll("#days button"), function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-date") === key ? "true" : "false");
    });
    renderTimes(true);
  }

  /* ---------- step 3: times ---------- */

  function renderTimes(focus) {
    var block = $("times-block"), list = $("times");
    block.hidden = false;
    $("h-times").textContent = t("times_on", { date: fmtDay(state.day) });
    clear(list);
    var slots = slotsOn(state.day);
    slots.forEach(function (s) {
      var start = new Date(s.start);
      var local = parts(start, state.tz), there = parts(start, cfg.tenant_zone);
      var visible = fmtTime(start, state.tz);
      var other = state.tz === cfg.tenant_zone ? "" : t("there", { time: fmtTime(start, cfg.tenant_zone) });
      var b = el("button", {
        type: "button", "data-start": s.start, "data-local": local.key + " " + local.hm,
        "data-tenant-local": there.key + " " + there.hm,
        on: { click: function () { chooseTime(s); } }
      }, [el("span", { class: "here", text: visible }), other ? el("span", { class: "there", text: other }) : null]);
      list.appendChild(el("li", {}, [b]));
    });
    $("no-times").hidden = slots.length > 0;
    if (focus) $("h-times").focus();
    notifyHeight();
  }

  function rerenderZone() {
    if (!state.service) return;
    renderDays();
    if (state.day) renderTimes(false);
    if (state.slot) describeSlot();
  }

  function describeSlot() {
    var start = new Date(state.slot.start);
    var text = state.service.name + " · " + fmtDateTime(start, state.tz) + " (" + state.tz.replace(/_/g, " ") + ")";
    if (state.tz !== cfg.tenant_zone) text += " · " + fmtTime(start, cfg.tenant_zone) + " " + cfg.tenant_zone.replace(/_/g, " ");
    Array.prototype.forEach.call(document.querySelectorAll(".chosen-slot"), function (p) { p.textContent = text; });
    return text;
  }

  function chooseTime(slot) {
    say(null);
    state.slot = slot;
    describeSlot();
    if (!session()) { show("step-auth"); return; }
    hold();
  }

  function backToTimes() {
    stopHold(true);
    state.slot = null;
    show("step-date");
    loadMonth().then(function () { if (state.day) renderTimes(true); });
  }

  /* A slot taken meanwhile: say so and show fresh times, never an error page. */
  function taken(message) {
    stopHold(false);
    state.slot = null;
    show("step-date");
    say(message);
    loadMonth().then(function () {
      if (state.day) renderTimes(false);
      $("status").focus();
    });
  }

  /* ---------- the hold ---------- */

  function hold() {
    var s = state.service, d = s.duration || {};
    var body = { service_template_id: s.id, start: state.slot.start };
    if (d.min_minutes) body.duration_minutes = d.min_minutes;
    if (d.min_nights) body.nights = d.min_nights;
    return api("POST", "/reservations", body, true).then(function (r) {
      if (r.status === 201) {
        state.hold = r.data;
        startCountdown();
        return participants();
      }
      if (r.status === 409 || r.status === 422) return taken(t("taken"));
      if (r.status === 401) { show("step-auth"); return; }
      say(problemText(r));
    });
  }

  function startCountdown() {
    stopTimerOnly();
    var banner = $("hold-banner");
    var tick = function () {
      var left = Math.max(0, Math.round((Date.parse(state.hold.expires_at) - Date.now()) / 1000));
      banner.textContent = t("held_for", { time: Math.floor(left / 60) + ":" + pad(left % 60) });
      banner.hidden = false;
      if (left <= 0) {
        state.hold = null;
        taken(t("expired"));
      }
    };
    tick();
    state.timer = setInterval(tick, 1000);
  }

  function stopTimerOnly() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  /* Ends the countdown; `release` gives the held slot back. */
  function stopHold(release) {
    stopTimerOnly();
    var banner = $("hold-banner");
    if (banner) banner.hidden = true;
    if (release && state.hold) api("POST", "/reservations/" + state.hold.id + "/release", undefined, true);
    state.hold = null;
  }

  /* ---------- sign in / register ---------- */

  function value(form, name) { var f = form.elements[name]; return f ? f.value.trim() : ""; }

  function signedIn(email, r) {
    saveSession({ access_token: r.data.access_token, refresh_token: r.data.refresh_token, email: email });
  }

  function signIn(email, password) {
    return api("POST", "/auth/token", { email: email, password: password, tenant: cfg.slug }, false).then(function (r) {
      if (r.status === 200) { signedIn(email, r); return true; }
      say(r.status === 401 ? t("bad_login") : problemText(r));
      return false;
    });
  }

  function onRegister(ev) {
    ev.preventDefault();
    var form = ev.currentTarget;
    var body = { name: value(form, "name"), email: value(form, "email"), password: form.elements.password.value };
    if (value(form, "phone")) body.phone = value(form, "phone");
    api("POST", "/public/" + encodeURIComponent(cfg.slug) + "/customers", body, false).then(function (r) {
      if (r.status === 201) { signedIn(body.email, r); return afterAuth(); }
      if (r.status === 409) return signIn(body.email, body.password).then(function (ok) { if (ok) afterAuth(); });
      say(r.status === 401 ? t("bad_login") : problemText(r));
      $("status").focus();
    });
  }

  function onSignIn(ev) {
    ev.preventDefault();
    var form = ev.currentTarget;
    signIn(value(form, "email"), form.elements.password.value).then(function (ok) {
      if (ok) afterAuth(); else $("status").focus();
    });
  }

  function afterAuth() {
    say(null);
    if (cfg.mode === "me") return loadBookings();
    if (state.slot) return hold();
    show(state.service ? "step-date" : "step-services");
  }

  /* ---------- participants ---------- */

  function participants() {
    var box = $("participant-options");
    clear(box);
    var options = [{ value: "me", label: t("me"), member: null }];
    return api("GET", "/me", undefined, true).then(function (me) {
      state.me = me.status === 200 ? me.data.user : null;
      return api("GET", "/households?limit=50", undefined, true);
    }).then(function (r) {
      var households = r.status === 200 ? r.data.data : [];
      return Promise.all(households.map(function (h) {
        return api("GET", "/households/" + h.id + "/members", undefined, true).then(function (mr) {
          (mr.status === 200 && Array.isArray(mr.data) ? mr.data : []).forEach(function (m) {
            if (state.me && state.me.id === m.user_id) return;
            var label = h.name + " · " + (m.relationship || m.role) + " " + m.id.slice(-4);
            options.push({ value: h.id + ":" + m.id, label: label, member: { household_id: h.id, household_member_id: m.id, label: label } });
          });
        });
      }));
    }).then(function () {
      options.forEach(function (o, i) {
        var id = "participant-" + i;
        box.appendChild(el("p", {}, [
          el("input", { type: "radio", name: "participant", id: id, value: o.value, checked: i === 0 ? "checked" : null }),
          " ",
          el("label", { for: id, text: o.label })
        ]));
      });
      state.options = options;
      show("step-participants");
    });
  }

  function onParticipants(ev) {
    ev.preventDefault();
    var chosen = ev.currentTarget.elements.participant;
    var v = chosen && chosen.value ? chosen.value : "me";
    var o = (state.options || []).filter(function (x) { return x.value === v; })[0];
    state.member = o ? o.member : null;
    var dl = $("summary");
    clear(dl);
    summary(dl, state.service.name, new Date(state.slot.start), state.member ? state.member.label : t("me"), priceText(state.service));
    show("step-confirm");
  }

  function summary(dl, service, start, who, price) {
    var rows = [[t("service"), service], [t("when"), fmtDateTime(start, state.tz) + " (" + state.tz.replace(/_/g, " ") + ")" +
      (state.tz === cfg.tenant_zone ? "" : " · " + fmtDateTime(start, cfg.tenant_zone) + " (" + cfg.tenant_zone.replace(/_/g, " ") + ")")],
      [t("for_whom"), who]];
    if (price) rows.push([t("price"), price]);
    rows.forEach(function (r) { dl.appendChild(el("dt", { text: r[0] })); dl.appendChild(el("dd", { text: r[1] })); });
  }

  /* ---------- confirm and done ---------- */

  function onConfirm() {
    var body = { service_template_id: state.service.id, start: state.slot.start, source: "web" };
    if (state.hold) body.reservation_id = state.hold.id;
    var d = state.service.duration || {};
    if (d.min_minutes) body.duration_minutes = d.min_minutes;
    if (d.min_nights) body.nights = d.min_nights;
    if (state.member) {
      body.household_id = state.member.household_id;
      body.participants = [{ household_member_id: state.member.household_member_id }];
    }
    $("confirm").disabled = true;
    api("POST", "/bookings", body, true).then(function (r) {
      $("confirm").disabled = false;
      if (r.status === 201) return done(r.data);
      if (r.status === 409) return taken(t("taken"));
      say(problemText(r));
      $("status").focus();
    });
  }

  function done(b) {
    stopHold(false);
    var dl = $("done-summary");
    clear(dl);
    var price = b.pricing_snapshot && b.pricing_snapshot.total ? money(b.pricing_snapshot.total, b.pricing_snapshot.currency) : priceText(state.service);
    summary(dl, state.service.name, new Date(b.start), state.member ? state.member.label : t("me"), price);
    dl.appendChild(el("dt", { text: t("status") }));
    dl.appendChild(el("dd", { text: t("status_" + b.status), "data-booking-id": b.id }));
    var link = $("ics");
    link.href = URL.createObjectURL(new Blob([ics(b, state.service.name)], { type: "text/calendar" }));
    link.setAttribute("download", "booking-" + b.id + ".ics");
    state.slot = null;
    show("step-done");
  }

  /* RFC 5545: one VEVENT in UTC; lines end in CRLF, text escaped. */
  function ics(b, title) {
    var stamp = function (iso) { return new Date(iso).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z"); };
    var text = function (s) { return String(s).replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\n/g, "\\n"); };
    return ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Atrium//Booking page//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
      "BEGIN:VEVENT", "UID:" + b.id + "@atrium", "DTSTAMP:" + stamp(new Date().toISOString()),
      "DTSTART:" + stamp(b.start), "DTEND:" + stamp(b.end), "SUMMARY:" + text(title + " · " + cfg.tenant_name),
      "URL:" + location.origin + (cfg.base || "") + "/me", "END:VEVENT", "END:VCALENDAR", ""].join("\r\n");
  }

  /* ---------- my bookings ---------- */

  var LIVE = ["pending", "pending_approval", "confirmed", "checked_in"];

  function loadBookings() {
    if (!session()) { $("me-auth").hidden = false; $("me-lists").hidden = true; return Promise.resolve(); }
    $("me-auth").hidden = true;
    var names = api("GET", "/public/" + encodeURIComponent(cfg.slug) + "/service-templates?limit=200").then(function (r) {
      state.services = r.status === 200 ? r.data.data : [];
    });
    return Promise.all([names, api("GET", "/bookings?limit=200", undefined, true)]).then(function (all) {
      var r = all[1];
      if (r.status === 401) { saveSession(null); return loadBookings(); }
      if (r.status !== 200) { say(problemText(r)); return; }
      state.bookings = r.data.data;
      $("me-lists").hidden = false;
      renderBookings();
    });
  }

  function serviceName(id) {
    var s = state.services.filter(function (x) { return x.id === id; })[0];
    return s ? s.name : "";
  }

  function renderBookings() {
    if (!state.bookings) return;
    var now = Date.now();
    var upcoming = state.bookings.filter(function (b) { return Date.parse(b.end) >= now && LIVE.indexOf(b.status) >= 0; })
      .sort(function (a, b) { return a.start < b.start ? -1 : 1; });
    var past = state.bookings.filter(function (b) { return upcoming.indexOf(b) < 0; })
      .sort(function (a, b) { return a.start < b.start ? 1 : -1; });
    fillList($("upcoming"), upcoming, true);
    fillList($("past"), past, false);
    $("none-upcoming").hidden = upcoming.length > 0;
    $("none-past").hidden = past.length > 0;
    notifyHeight();
  }

  function fillList(list, bookings, live) {
    clear(list);
    bookings.forEach(function (b) {
      var start = new Date(b.start);
      var name = serviceName(b.service_template_id) || t("service");
      var li = el("li", { "data-booking-id": b.id }, [
        el("h3", { text: name }),
        el("p", { text: fmtDateTime(start, state.tz) + (state.tz === cfg.tenant_zone ? "" : " · " + fmtTime(start, cfg.tenant_zone) + " " + cfg.tenant_zone.replace(/_/g, " ")) }),
        el("p", { class: "small", text: t("done_status", { status: t("status_" + b.status) }) +
          (b.refund_amount !== null && b.refund_amount !== undefined && b.status === "cancelled"
            ? " · " + t("cancelled", { amount: money(b.refund_amount, b.pricing_snapshot.currency) }) : "") })
      ]);
      var actions = el("p", { class: "actions" });
      if (live) actions.appendChild(el("button", { type: "button", class: "cancel", text: t("cancel"), "aria-label": t("cancel") + " " + name,
        on: { click: function () { quote(b, li); } } }));
      if (serviceName(b.service_template_id)) {
        actions.appendChild(el("a", { class: "button", href: (cfg.base || "") + "/?service=" + b.service_template_id, text: t("rebook"),
          "aria-label": t("rebook") + " " + name }));
      }
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  /* The refund is shown first; only then may the customer confirm. */
  function quote(b, li) {
    var old = li.querySelector(".quote");
    if (old) old.parentNode.removeChild(old);
    api("GET", "/bookings/" + b.id + "/cancellation-quote", undefined, true).then(function (r) {
      if (r.status !== 200) { say(problemText(r)); $("status").focus(); return; }
      var q = r.data;
      var box = el("div", { class: "quote notice", role: "group", "aria-label": t("cancel") });
      var text = q.allowed ? t("refund_is", { amount: money(q.refund_amount, q.currency), percent: Number(q.refund_percent) })
        : t("cancel_refused", { why: q.refused_because || "" });
      var p = el("p", { class: "refund", tabindex: "-1", text: text, "data-refund-amount": q.refund_amount });
      box.appendChild(p);
      if (q.allowed && q.offer_store_credit) box.appendChild(el("p", { text: t("store_credit") }));
      var actions = el("p", { class: "actions" });
      if (q.allowed) {
        actions.appendChild(el("button", { type: "button", class: "primary confirm-cancel", text: t("cancel_confirm"),
          on: { click: function () { cancel(b); } } }));
      }
      actions.appendChild(el("button", { type: "button", class: "keep", text: t("keep"),
        on: { click: function () { box.parentNode.removeChild(box); li.querySelector(".cancel").focus(); } } }));
      box.appendChild(actions);
      li.appendChild(box);
      p.focus();
      notifyHeight();
    });
  }

  function cancel(b) {
    api("POST", "/bookings/" + b.id + "/cancel", {}, true).then(function (r) {
      if (r.status !== 200) { say(problemText(r)); $("status").focus(); return; }
      say(t("cancelled", { amount: money(r.data.refund_amount || "0", r.data.pricing_snapshot.currency) }));
      return loadBookings().then(function () { $("status").focus(); });
    });
  }

  /* ---------- start ---------- */

  function start() {
    document.documentElement.setAttribute("data-ready", "false");
    $("status").setAttribute("tabindex", "-1");
    showWho();
    var out = $("signout");
    if (out) out.addEventListener("click", signOut);
    fillZones();
    if (cfg.mode === "me") {
      $("me-signin-form").addEventListener("submit", onSignIn);
      return loadBookings();
    }
    tenantZoneLine();
    $("change-service").addEventListener("click", function () { stopHold(true); state.service = null; show("step-services"); });
    $("prev-month").addEventListener("click", function () { moveMonth(-1); });
    $("next-month").addEventListener("click", function () { moveMonth(1); });
    $("register-form").addEventListener("submit", onRegister);
    $("signin-form").addEventListener("submit", onSignIn);
    $("participants-form").addEventListener("submit", onParticipants);
    $("confirm").addEventListener("click", onConfirm);
    Array.prototype.forEach.call(document.querySelectorAll(".back-to-times"), function (b) { b.addEventListener("click", backToTimes); });
    return loadServices();
  }

  function moveMonth(delta) {
    var m = state.month.m + delta;
    state.month = { y: state.month.y + Math.floor(m / 12), m: ((m % 12) + 12) % 12 };
    state.day = null;
    $("times-block").hidden = true;
    loadMonth().then(function () {
      var target = delta < 0 && !$("prev-month").disabled ? $("prev-month") : $("next-month");
      if (document.activeElement === document.body || (document.activeElement && document.activeElement.disabled)) target.focus();
    });
  }

  if (window.ResizeObserver && window.parent !== window) new ResizeObserver(notifyHeight).observe(document.body);
  Promise.resolve(start()).then(function () { document.documentElement.setAttribute("data-ready", "true"); });
})();
