// The outreach app's storage on the phone (IndexedDB), all of it encrypted with one
// AES-GCM key that WebCrypto creates as non-extractable: script can use it but nobody can
// read it out, and deleting it (sign-out) makes whatever is left unreadable.
//
//   keys     "queue" -> the CryptoKey
//   session  "current" -> {username, expiresAt, token (encrypted), locations, location}
//   queue    id -> {id, owner, createdAt, iv, data (encrypted {key, body}), lastError}
//   sent     id -> {id, owner, createdAt, sentAt, iv, data (encrypted {code, office})}
//
// The sent list holds the receipt code of each intake sent after the resident left, for
// the worker to give them; nothing about the resident. It is kept for a day at most.
//
// A queued intake holds the request exactly as it will be sent, with its Idempotency-Key,
// so a resend after a lost response can never make a second intake. It is deleted as soon
// as the server acknowledges it.
(function () {
  "use strict";

  var DB_NAME = "tsunagi-outreach";
  var SENT_KEPT_MS = 24 * 60 * 60 * 1000;
  var opening = null;

  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var r = indexedDB.open(DB_NAME, 2);
        // Version 2 adds the sent list; the queue of version 1 stays as it is.
        r.onupgradeneeded = function (event) {
          var db = r.result;
          if (event.oldVersion < 1) {
            db.createObjectStore("keys");
            db.createObjectStore("session");
            db.createObjectStore("queue", {keyPath: "id"});
          }
          if (event.oldVersion < 2) db.createObjectStore("sent", {keyPath: "id"});
        };
        r.onsuccess = function () { resolve(r.result); };
        r.onerror = function () { reject(r.error); };
      });
    }
    return opening;
  }

  function tx(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var result;
        Promise.resolve(work(t.objectStore(store))).then(function (value) { result = value; }, reject);
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function getKey() {
    return tx("keys", "readonly", function (s) { return request(s.get("queue")); });
  }

  function ensureKey() {
    return getKey().then(function (key) {
      if (key) return key;
      return crypto.subtle.generateKey({name: "AES-GCM", length: 256}, false, ["encrypt", "decrypt"])
        .then(function (created) {
          return tx("keys", "readwrite", function (s) { return request(s.put(created, "queue")); })
            .then(function () { return created; });
        });
    });
  }

  function encrypt(value) {
    return ensureKey().then(function (key) {
      var iv = crypto.getRandomValues(new Uint8Array(12));
      var plain = new TextEncoder().encode(JSON.stringify(value));
      return crypto.subtle.encrypt({name: "AES-GCM", iv: iv}, key, plain).then(function (data) {
        return {iv: iv, data: data};
      });
    });
  }

  function decrypt(sealed) {
    return getKey().then(function (key) {
      if (!key) throw new Error("no key");
      return crypto.subtle.decrypt({name: "AES-GCM", iv: sealed.iv}, key, sealed.data);
    }).then(function (plain) {
      return JSON.parse(new TextDecoder().decode(plain));
    });
  }

  function randomId() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  var store = {
    // --- the signed-in worker -------------------------------------------------------
    saveSession: function (session) {
      return encrypt(session.token).then(function (sealed) {
        var row = {username: session.username, expiresAt: session.expiresAt, token: sealed,
                   locations: session.locations || [], location: session.location || null};
        return tx("session", "readwrite", function (s) { return request(s.put(row, "current")); });
      });
    },
    updateSession: function (changes) {
      return tx("session", "readwrite", function (s) {
        return request(s.get("current")).then(function (row) {
          if (!row) return null;
          Object.keys(changes).forEach(function (k) { row[k] = changes[k]; });
          return request(s.put(row, "current"));
        });
      });
    },
    // The session with its token decrypted, or null (none, expired, or unreadable).
    loadSession: function () {
      return tx("session", "readonly", function (s) { return request(s.get("current")); })
        .then(function (row) {
          if (!row || new Date(row.expiresAt) <= new Date()) return null;
          return decrypt(row.token).then(function (token) {
            return {username: row.username, expiresAt: row.expiresAt, token: token,
                    locations: row.locations, location: row.location};
          }, function () { return null; });
        });
    },
    // Who took the intakes still queued: kept after the sign-in expires, so that only
    // that worker (the witness of their consent) sends them.
    queueOwner: function () {
      return store.list().then(function (items) { return items.length ? items[0].owner : null; });
    },
    endSession: function () {
      return tx("session", "readwrite", function (s) { return request(s.delete("current")); });
    },
    // Sign-out: the key, the session and every queued intake go.
    clearAll: function () {
      return Promise.all(["keys", "session", "queue", "sent"].map(function (name) {
        return tx(name, "readwrite", function (s) { return request(s.clear()); });
      }));
    },

    // --- the queue ------------------------------------------------------------------
    add: function (owner, key, body) {
      return encrypt({key: key, body: body}).then(function (sealed) {
        var item = {id: randomId(), owner: owner, createdAt: new Date().toISOString(),
                    iv: sealed.iv, data: sealed.data, lastError: null};
        return tx("queue", "readwrite", function (s) { return request(s.add(item)); })
          .then(function () { return item.id; });
      });
    },
    // Queued items without their contents, oldest first.
    list: function () {
      return tx("queue", "readonly", function (s) { return request(s.getAll()); }).then(function (items) {
        return items.map(function (i) {
          return {id: i.id, owner: i.owner, createdAt: i.createdAt, lastError: i.lastError};
        }).sort(function (a, b) { return a.createdAt < b.createdAt ? -1 : 1; });
      });
    },
    // {key, body} of one item; rejects when it cannot be decrypted.
    open: function (id) {
      return tx("queue", "readonly", function (s) { return request(s.get(id)); }).then(function (item) {
        if (!item) throw new Error("gone");
        return decrypt(item);
      });
    },
    setError: function (id, code) {
      return tx("queue", "readwrite", function (s) {
        return request(s.get(id)).then(function (item) {
          if (!item) return null;
          item.lastError = code;
          return request(s.put(item));
        });
      });
    },
    remove: function (id) {
      return tx("queue", "readwrite", function (s) { return request(s.delete(id)); });
    },

    // --- sent after the resident left: their receipt codes ---------------------------
    addSent: function (owner, createdAt, receipt) {
      return encrypt(receipt).then(function (sealed) {
        var row = {id: randomId(), owner: owner, createdAt: createdAt, sentAt: new Date().toISOString(),
                   iv: sealed.iv, data: sealed.data};
        return tx("sent", "readwrite", function (s) { return request(s.add(row)); });
      });
    },
    // The worker's sent intakes of the last day, newest first, with {code, office} decrypted;
    // older ones are deleted.
    listSent: function (owner) {
      var since = new Date(Date.now() - SENT_KEPT_MS).toISOString();
      return tx("sent", "readwrite", function (s) {
        return request(s.getAll()).then(function (rows) {
          rows.filter(function (r) { return r.sentAt < since; }).forEach(function (r) { s.delete(r.id); });
          return rows.filter(function (r) { return r.sentAt >= since && r.owner === owner; });
        });
      }).then(function (rows) {
        return Promise.all(rows.map(function (r) {
          return decrypt(r).then(function (receipt) {
            return {id: r.id, createdAt: r.createdAt, sentAt: r.sentAt, code: receipt.code, office: receipt.office};
          }, function () { return null; });
        }));
      }).then(function (rows) {
        return rows.filter(Boolean).sort(function (a, b) { return a.sentAt < b.sentAt ? 1 : -1; });
      });
    },
    removeSent: function (id) {
      return tx("sent", "readwrite", function (s) { return request(s.delete(id)); });
    },
    newKey: randomId
  };

  window.OutreachStore = store;
})();
