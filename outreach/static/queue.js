// The outreach app's storage on the phone (IndexedDB), all of it encrypted with one
// AES-GCM key that WebCrypto creates as non-extractable: script can use it but nobody can
// read it out, and deleting it (sign-out) makes whatever is left unreadable.
//
//   keys     "queue" -> the CryptoKey
//   session  "current" -> {username, expiresAt, token (encrypted), locations, location}
//   queue    id -> {id, owner, type, createdAt, iv, data (encrypted {key, body, path}), lastError}
//   sent     id -> {id, owner, createdAt, sentAt, iv, data (encrypted {code, office})}
//   people   ref -> {id: ref, owner, iv, data (encrypted {label, location, last, next})}
//
// The sent list holds the receipt code of each intake sent after the resident left, for
// the worker to give them; nothing about the resident. It is kept for a day at most.
//
// A queued intake holds the request exactly as it will be sent, with its Idempotency-Key,
// so a resend after a lost response can never make a second intake. It is deleted as soon
// as the server acknowledges it. A queued item is an intake (type "intake") or a contact
// with someone not yet in support (type "contact", POST /api/v1/outreach/contacts).
//
// The people list (keep in touch) holds, for each person the worker keeps in touch with
// before they consent, the random reference the server knows them by and the worker's own
// label for them, which never leaves the phone; sign-out deletes it with everything else.
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
        var r = indexedDB.open(DB_NAME, 3);
        // Version 2 adds the sent list, version 3 the people list; the queue of version 1 stays.
        r.onupgradeneeded = function (event) {
          var db = r.result;
          if (event.oldVersion < 1) {
            db.createObjectStore("keys");
            db.createObjectStore("session");
            db.createObjectStore("queue", {keyPath: "id"});
          }
          if (event.oldVersion < 2) db.createObjectStore("sent", {keyPath: "id"});
          if (event.oldVersion < 3) db.createObjectStore("people", {keyPath: "id"});
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
    // Sign-out: the key, the session, every queued intake and contact, and the people list go.
    clearAll: function () {
      return Promise.all(["keys", "session", "queue", "sent", "people"].map(function (name) {
        return tx(name, "readwrite", function (s) { return request(s.clear()); });
      }));
    },

    // --- the queue ------------------------------------------------------------------
    // `path` is where it is posted: the intakes API unless given (a contact).
    add: function (owner, key, body, path) {
      return encrypt({key: key, body: body, path: path || null}).then(function (sealed) {
        var item = {id: randomId(), owner: owner, type: path ? "contact" : "intake",
                    createdAt: new Date().toISOString(), iv: sealed.iv, data: sealed.data, lastError: null};
        return tx("queue", "readwrite", function (s) { return request(s.add(item)); })
          .then(function () { return item.id; });
      });
    },
    // Queued items without their contents, oldest first.
    list: function () {
      return tx("queue", "readonly", function (s) { return request(s.getAll()); }).then(function (items) {
        return items.map(function (i) {
          return {id: i.id, owner: i.owner, type: i.type || "intake", createdAt: i.createdAt,
                  lastError: i.lastError};
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

    // --- keep in touch: people not yet in support, by the worker's own label ----------
    // A new person of `owner` at `location`: their reference (a random 128-bit hex id).
    addPerson: function (owner, label, location) {
      var ref = randomId();
      return encrypt({label: label, location: location, last: null, next: null}).then(function (sealed) {
        var row = {id: ref, owner: owner, iv: sealed.iv, data: sealed.data};
        return tx("people", "readwrite", function (s) { return request(s.add(row)); });
      }).then(function () { return ref; });
    },
    // The worker's people, decrypted: [{ref, label, location, last, next}].
    listPeople: function (owner) {
      return tx("people", "readonly", function (s) { return request(s.getAll()); }).then(function (rows) {
        return Promise.all(rows.filter(function (r) { return r.owner === owner; }).map(function (r) {
          return decrypt(r).then(function (p) {
            return {ref: r.id, label: p.label, location: p.location, last: p.last, next: p.next};
          }, function () { return null; });
        }));
      }).then(function (rows) { return rows.filter(Boolean); });
    },
    updatePerson: function (ref, changes) {
      return tx("people", "readonly", function (s) { return request(s.get(ref)); }).then(function (row) {
        if (!row) return null;
        return decrypt(row).then(function (person) {
          Object.keys(changes).forEach(function (k) { person[k] = changes[k]; });
          return encrypt(person);
        }).then(function (sealed) {
          row.iv = sealed.iv;
          row.data = sealed.data;
          return tx("people", "readwrite", function (s) { return request(s.put(row)); });
        });
      });
    },
    removePerson: function (ref) {
      return tx("people", "readwrite", function (s) { return request(s.delete(ref)); });
    },
    newKey: randomId
  };

  window.OutreachStore = store;
})();
