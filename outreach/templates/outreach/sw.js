// Service worker of the outreach app (scope {{ scope }}). It keeps the app shell, its
// static files and the form specs so that the app opens and takes intakes offline.
// It never touches intakes: those wait encrypted in IndexedDB (queue.js) and go to the
// API from the page. API responses other than the form specs are never cached.
"use strict";

const VERSION = {{ version|tojson }};
const CACHE = "tsunagi-outreach-" + VERSION;
const PRECACHE = {{ precache|tojson }};
const LOCALES = {{ locales|tojson }};
const SCOPE = {{ scope|tojson }};
const STATIC_PREFIX = {{ static_prefix|tojson }};
const FORMS_PREFIX = {{ forms_prefix|tojson }};
const FONTS_PREFIX = {{ fonts_prefix|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, {credentials: "omit"}))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names
        .filter((name) => name.startsWith("tsunagi-outreach-") && name !== CACHE)
        .map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

// Network first, so a new consent text or form is used as soon as there is a connection;
// the cached copy when there is none.
async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

// The start URL redirects to the shell in the phone's language; offline, the worker does
// the same with the locales it has cached.
async function start(request) {
  try {
    return await fetch(request);
  } catch (error) {
    // Locale codes as language tags: zh_Hans -> zh-hans, ja@easy -> ja.
    const tags = LOCALES.map((code) => code.split("@")[0].replace("_", "-").toLowerCase());
    let index = -1;
    for (const tag of (self.navigator.languages || []).map((t) => t.toLowerCase())) {
      index = tags.indexOf(tag);
      if (index < 0) index = tags.findIndex((t) => t.split("-")[0] === tag.split("-")[0]);
      if (index >= 0) break;
    }
    return Response.redirect(SCOPE + LOCALES[Math.max(index, 0)] + "/", 302);
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === SCOPE && request.mode === "navigate") {
    event.respondWith(start(request));
  } else if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(cacheFirst(request));  // renamed by VERSION when any of them changes
  } else if (url.pathname.startsWith(FONTS_PREFIX)) {
    // A font's address never changes its content; those no text of a locale needs (rare
    // kanji in a name) are kept once a page has used them.
    event.respondWith(cacheFirst(request));
  } else if (url.pathname === FORMS_PREFIX || url.pathname.startsWith(SCOPE) ||
             PRECACHE.includes(url.pathname + url.search)) {
    event.respondWith(networkFirst(request));
  }
});
