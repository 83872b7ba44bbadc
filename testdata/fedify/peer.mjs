// peer.mjs: a remote ActivityPub server built with Fedify 2.3.6, driven by interop_test.go.
//
// It serves actors (alice, bob, carol, dora, and relay, an Application that acts as a relay:
// see the relay commands) on http://127.0.0.1:$PORT, with their outboxes,
// featured collections, notes (each with its replies collection embedded, listing the replies)
// and conversations (FEP-7888 context collections), and reads commands from stdin, one JSON
// object per line ({"seq":1,"cmd":"lookup","handle":"@me@127.0.0.1:8443"}). It writes events to
// stdout, one JSON object per line: {"ev":"done","seq":1,...} or {"ev":"failed","seq":1,"error":...}
// answer a command; "listening", "accept", "create" (with a note's name and inReplyTo, which
// carry a poll vote), "like-received", "delete", "move" (then "moved-follow": alice follows the
// Move's target, as Mastodon does) and "inbox-error" report
// what happened by itself. It exits when stdin closes.
//
// Fedify's inbox listeners run only after Fedify verified the request's HTTP signature
// (skipSignatureVerification is off). To make that visible, every inbox POST is also checked with
// Fedify's verifyRequest and the verifying key's id is reported as "verifiedBy".
//
// Environment: PORT (required), DEBUG=1 for Fedify's own logs on stderr. Roost's certificate
// comes in through NODE_EXTRA_CA_CERTS, because Fedify looks acct: handles up over https only.
import http from "node:http";
import readline from "node:readline";
import { createFederation, generateCryptoKeyPair, MemoryKvStore, signRequest, verifyRequest } from "@fedify/fedify";
import { Accept, Announce, Application, Collection, Create, Delete, Endpoints, Follow, Like, Move, Note, Person, PUBLIC_COLLECTION, Question, Undo } from "@fedify/vocab";
import { configure, getStreamSink } from "@logtape/logtape";
import { Writable } from "node:stream";

const PORT = Number(process.env.PORT);
if (!PORT) throw new Error("PORT is required");
const ORIGIN = `http://127.0.0.1:${PORT}`;

if (process.env.DEBUG) {
  await configure({
    sinks: { stderr: getStreamSink(Writable.toWeb(process.stderr)) },
    loggers: [
      { category: "fedify", sinks: ["stderr"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "error" },
    ],
  });
}

const ev = (type, data = {}) => process.stdout.write(JSON.stringify({ ev: type, ...data }) + "\n");

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  allowPrivateAddress: true, // tests only: Roost is on 127.0.0.1
  // firstKnock stays at its default, RFC 9421: Roost answers 401 and Fedify retries with
  // draft-cavage, which is what Fedify does with every Mastodon-style server.
});
const ACTORS = ["alice", "bob", "carol", "dora", "relay"];
const keys = {};
for (const name of ACTORS) {
  keys[name] = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"), await generateCryptoKeyPair("Ed25519")];
}

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (!ACTORS.includes(identifier)) return null;
    const kp = await ctx.getActorKeyPairs(identifier);
    const Type = identifier === "relay" ? Application : Person;
    return new Type({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: `${identifier[0].toUpperCase()}${identifier.slice(1)} (Fedify)`,
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      featured: ctx.getFeaturedUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      url: ctx.getActorUri(identifier),
      publicKey: kp[0].cryptographicKey,
      assertionMethods: kp.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (ctx, identifier) => keys[identifier] ?? []);
federation.setFollowersDispatcher("/users/{identifier}/followers", async () => ({ items: [] }));

// notes holds the posts the "publish" command made, by uuid, as JSON-LD without their replies
// (added when served, from the notes that answer them).
const notes = new Map();
const noteIRI = (uuid) => `${ORIGIN}/notes/${uuid}`;
const docLoaders = () => ({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });

// noteJSON is a stored note as served: its replies collection embedded with a first page that
// lists every reply, as Mastodon shapes it (unless the note was published with noReplies).
function noteJSON(uuid) {
  const n = notes.get(uuid);
  if (!n) return null;
  const json = { ...n.json };
  if (!n.noReplies) {
    const replies = [...notes.values()].filter((c) => c.json.inReplyTo === json.id).map((c) => c.json.id);
    json.replies = {
      id: `${json.id}/replies`,
      type: "Collection",
      first: { id: `${json.id}/replies?page=1`, type: "CollectionPage", partOf: `${json.id}/replies`, items: replies },
    };
  }
  return json;
}

federation.setObjectDispatcher(Note, "/notes/{uuid}", async (ctx, { uuid }) => {
  const json = noteJSON(uuid);
  return json ? await Note.fromJsonLd(json, docLoaders()) : null;
});

// A conversation (FEP-7888): every note published with that context, oldest first.
federation.setObjectDispatcher(Collection, "/contexts/{name}", async (ctx, { name }) => {
  const id = `${ORIGIN}/contexts/${name}`;
  const items = [...notes.values()].filter((n) => n.json.context === id).map((n) => new URL(n.json.id));
  if (items.length === 0) return null;
  return new Collection({ id: new URL(id), totalItems: items.length, items });
});

const createOf = async (n) =>
  new Create({
    id: new URL(`${n.json.id}/activity`),
    actor: new URL(n.json.attributedTo),
    object: await Note.fromJsonLd(noteJSON(n.uuid), docLoaders()),
    tos: [PUBLIC_COLLECTION],
  });

// An actor's outbox: the Creates of its notes, newest first.
federation.setOutboxDispatcher("/users/{identifier}/outbox", async (ctx, identifier) => {
  const own = [...notes.values()].filter((n) => n.json.attributedTo === ctx.getActorUri(identifier).href);
  own.sort((a, b) => b.json.published.localeCompare(a.json.published));
  return { items: await Promise.all(own.map(createOf)) };
});

// An actor's pinned notes.
federation.setFeaturedDispatcher("/users/{identifier}/featured", async (ctx, identifier) => {
  const own = [...notes.values()].filter((n) => n.pinned && n.json.attributedTo === ctx.getActorUri(identifier).href);
  return { items: await Promise.all(own.map((n) => Note.fromJsonLd(noteJSON(n.uuid), docLoaders()))) };
});

// verifiedBy maps an activity id to the key that signed the request carrying it, as found by
// Fedify's verifyRequest in the HTTP adapter below.
const verifiedBy = new Map();

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (ctx, accept) => {
    ev("accept", {
      id: accept.id?.href,
      actor: accept.actorId?.href,
      object: accept.objectId?.href,
      verifiedBy: verifiedBy.get(accept.id?.href) ?? null,
    });
  })
  .on(Create, async (ctx, create) => {
    const note = await create.getObject();
    ev("create", {
      id: create.id?.href,
      actor: create.actorId?.href,
      type: note?.constructor?.name,
      object: note?.id?.href,
      attributedTo: note?.attributionId?.href,
      content: note instanceof Note ? note.content?.toString() : null,
      name: note?.name?.toString() ?? null,
      inReplyTo: note?.replyTargetId?.href ?? null,
      verifiedBy: verifiedBy.get(create.id?.href) ?? null,
    });
  })
  .on(Like, async (ctx, like) => ev("like-received", { id: like.id?.href }))
  .on(Undo, async (ctx, undo) =>
    ev("undo-received", { id: undo.id?.href, actor: undo.actorId?.href, object: undo.objectId?.href, verifiedBy: verifiedBy.get(undo.id?.href) ?? null }),
  )
  .on(Follow, async (ctx, follow) => {
    // A Mastodon-style relay subscription: a Follow of the Public collection, at the relay's
    // inbox (here the shared /inbox); the relay accepts it from its actor.
    if (follow.objectId?.href === PUBLIC_COLLECTION.href) {
      const subscriber = await follow.getActor();
      subscribers.set(subscriber.id.href, subscriber);
      const relay = ctx.getActorUri("relay");
      await ctx.sendActivity(
        { identifier: "relay" },
        subscriber,
        new Accept({ id: new URL(`${relay.href}#accepts/${crypto.randomUUID()}`), actor: relay, object: follow }),
      );
      ev("relay-follow", { id: follow.id?.href, actor: subscriber.id?.href, object: follow.objectId?.href, verifiedBy: verifiedBy.get(follow.id?.href) ?? null });
      return;
    }
    // Accept every follow, as an open account does.
    const followee = ctx.parseUri(follow.objectId);
    if (followee?.type !== "actor") return;
    const follower = await follow.getActor();
    if (followee.identifier === "relay") subscribers.set(follower.id.href, follower); // LitePub-style
    await ctx.sendActivity(
      { identifier: followee.identifier },
      follower,
      new Accept({ id: new URL(`${follow.objectId.href}#accepts/${crypto.randomUUID()}`), actor: follow.objectId, object: follow }),
    );
    ev("follow-received", { id: follow.id?.href, actor: follower?.id?.href, object: follow.objectId?.href });
  })
  // A Delete of an actor (an account deleted for good) is reported as it arrives.
  .on(Delete, async (ctx, del) => {
    ev("delete", {
      id: del.id?.href,
      actor: del.actorId?.href,
      object: del.objectId?.href,
      verifiedBy: verifiedBy.get(del.id?.href) ?? null,
    });
  })
  // A Move of an account alice follows: as Mastodon does, alice follows the target if the target
  // names the mover among its aliases (alsoKnownAs).
  .on(Move, async (ctx, move) => {
    const mover = move.objectId?.href;
    const target = await ctx.lookupObject(move.targetId);
    const aliases = (target?.aliasIds ?? []).map((u) => u.href);
    ev("move", {
      id: move.id?.href,
      actor: move.actorId?.href,
      object: mover,
      target: move.targetId?.href,
      verifiedBy: verifiedBy.get(move.id?.href) ?? null,
    });
    if (!target || !aliases.includes(mover)) {
      ev("move-refused", { id: move.id?.href, aliases });
      return;
    }
    const id = new URL(`${ORIGIN}/follows/${crypto.randomUUID()}`);
    await ctx.sendActivity({ identifier: "alice" }, target, new Follow({ id, actor: ctx.getActorUri("alice"), object: target.id }));
    ev("moved-follow", { follow: id.href, object: target.id.href });
  })
  .onError((ctx, e) => ev("inbox-error", { error: String(e?.stack ?? e) }));

// A minimal Node http <-> Fetch API adapter: Fedify 2.x only has federation.fetch(Request).
const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const hasBody = !["GET", "HEAD"].includes(req.method);
    const request = new Request(new URL(req.url, ORIGIN), {
      method: req.method,
      headers: Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]),
      body: hasBody ? Buffer.concat(chunks) : undefined,
    });
    if (req.method === "POST" && request.url.endsWith("/inbox")) await recordSigner(request.clone());
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("not found", { status: 404 }),
      onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) {
    ev("http-error", { error: String(e?.stack ?? e) });
    res.writeHead(500).end();
  }
});

const ctx = federation.createContext(new URL(ORIGIN), undefined);

async function recordSigner(request) {
  let id;
  try {
    id = JSON.parse(await request.clone().text()).id;
  } catch {
    return;
  }
  const key = await verifyRequest(request, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
  if (key && id) verifiedBy.set(id, key.id?.href);
}

let roost; // Roost's owner, as Fedify's lookupObject found it

// subscribers are the actors subscribed to the relay actor, by IRI (Roost's instance actor).
const subscribers = new Map();

const commands = {
  async lookup({ handle }) {
    roost = await ctx.lookupObject(handle);
    if (!roost) throw new Error(`lookupObject(${handle}) returned null`);
    const key = await roost.getPublicKey();
    return {
      actor: roost.id?.href,
      type: roost.constructor.name,
      username: roost.preferredUsername?.toString(),
      inbox: roost.inboxId?.href,
      key: key?.id?.href,
    };
  },

  async follow() {
    const id = new URL(`${ORIGIN}/follows/${crypto.randomUUID()}`);
    await ctx.sendActivity({ identifier: "alice" }, roost, new Follow({ id, actor: ctx.getActorUri("alice"), object: roost.id }));
    return { follow: id.href };
  },

  async reply({ to, content }) {
    const uuid = crypto.randomUUID();
    const alice = ctx.getActorUri("alice");
    const handle = `@${roost.preferredUsername}@${roost.id.host}`;
    // Built from JSON-LD so that published can be an ordinary timestamp string.
    const note = await Note.fromJsonLd(
      {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${ORIGIN}/notes/${uuid}`,
        type: "Note",
        attributedTo: alice.href,
        inReplyTo: to,
        content: `<p><span class="h-card"><a href="${roost.id.href}" class="u-url mention">${handle}</a></span> ${content}</p>`,
        published: new Date().toISOString(),
        to: [PUBLIC_COLLECTION.href],
        cc: [roost.id.href],
        tag: [{ type: "Mention", href: roost.id.href, name: handle }],
      },
      { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader },
    );
    const create = new Create({
      id: new URL(`${ORIGIN}/notes/${uuid}/activity`),
      actor: alice,
      object: note,
      tos: [PUBLIC_COLLECTION],
      ccs: [roost.id],
    });
    await ctx.sendActivity({ identifier: "alice" }, roost, create);
    return { create: create.id.href, note: note.id.href };
  },

  // poll sends a Question with two options to Roost's owner, as Mastodon shapes one: each
  // option's count in replies.totalItems, an endTime a day away, votersCount.
  async poll() {
    const uuid = crypto.randomUUID();
    const alice = ctx.getActorUri("alice");
    const question = await Question.fromJsonLd(
      {
        "@context": ["https://www.w3.org/ns/activitystreams", { votersCount: "http://joinmastodon.org/ns#votersCount", toot: "http://joinmastodon.org/ns#" }],
        id: `${ORIGIN}/polls/${uuid}`,
        type: "Question",
        attributedTo: alice.href,
        content: "<p>Tea or coffee?</p>",
        published: new Date().toISOString(),
        endTime: new Date(Date.now() + 86_400_000).toISOString(),
        votersCount: 3,
        oneOf: [
          { type: "Note", name: "Tea", replies: { type: "Collection", totalItems: 2 } },
          { type: "Note", name: "Coffee", replies: { type: "Collection", totalItems: 1 } },
        ],
        to: [PUBLIC_COLLECTION.href],
        cc: [roost.id.href],
      },
      { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader },
    );
    const create = new Create({
      id: new URL(`${ORIGIN}/polls/${uuid}/activity`),
      actor: alice,
      object: question,
      tos: [PUBLIC_COLLECTION],
      ccs: [roost.id],
    });
    await ctx.sendActivity({ identifier: "alice" }, roost, create);
    return { create: create.id.href, note: question.id.href };
  },

  // vote looks Roost's poll up, reads its options (Fedify's exclusiveOptions), and votes for
  // choice with a Note named as the option, in reply to the poll, as Mastodon votes.
  async vote({ question, choice }) {
    const q = await ctx.lookupObject(question);
    if (!(q instanceof Question)) throw new Error(`lookupObject(${question}) gave ${q?.constructor?.name}`);
    const options = [];
    for await (const o of q.getExclusiveOptions()) options.push(o.name?.toString());
    const id = new URL(`${ORIGIN}/votes/${crypto.randomUUID()}`);
    const note = new Note({ id, attribution: ctx.getActorUri("alice"), name: choice, replyTarget: q.id, tos: [roost.id] });
    const create = new Create({ id: new URL(`${id.href}/activity`), actor: ctx.getActorUri("alice"), object: note, tos: [roost.id] });
    await ctx.sendActivity({ identifier: "alice" }, roost, create);
    return { options, create: create.id.href, note: id.href };
  },

  // publish stores a public note by author (alice, bob, carol or dora) without sending it: peers
  // fetch it from its IRI, the outbox, the replies of its parent or its context. inReplyTo,
  // context (a name: /contexts/NAME), tags (hashtag names), pinned, noReplies (serve no replies
  // collection) and age (seconds before now, for published) are optional.
  async publish({ author, content, inReplyTo, context, tags, pinned, noReplies, age }) {
    if (!ACTORS.includes(author)) throw new Error(`unknown author ${author}`);
    const uuid = crypto.randomUUID();
    const json = {
      // Hashtag is not in the ActivityStreams context; without this JSON-LD drops the tags.
      "@context": ["https://www.w3.org/ns/activitystreams", { Hashtag: "as:Hashtag" }],
      id: noteIRI(uuid),
      type: "Note",
      attributedTo: ctx.getActorUri(author).href,
      content: `<p>${content}</p>`,
      published: new Date(Date.now() - (age ?? 0) * 1000).toISOString(),
      to: [PUBLIC_COLLECTION.href],
      cc: [`${ctx.getActorUri(author).href}/followers`],
    };
    if (inReplyTo) json.inReplyTo = inReplyTo;
    if (context) json.context = `${ORIGIN}/contexts/${context}`;
    if (tags?.length) json.tag = tags.map((t) => ({ type: "Hashtag", name: `#${t}`, href: `${ORIGIN}/tags/${t}` }));
    notes.set(uuid, { uuid, json, pinned: !!pinned, noReplies: !!noReplies });
    return { note: json.id };
  },

  // send delivers the Create of a published note to Roost's owner, as its author; mention adds
  // the owner to its cc and tags.
  async send({ note, mention }) {
    const n = [...notes.values()].find((x) => x.json.id === note);
    if (!n) throw new Error(`no note ${note}`);
    if (mention) {
      const handle = `@${roost.preferredUsername}@${roost.id.host}`;
      n.json.cc = [...n.json.cc, roost.id.href];
      n.json.tag = [...(n.json.tag ?? []), { type: "Mention", href: roost.id.href, name: handle }];
    }
    const author = ctx.parseUri(new URL(n.json.attributedTo)).identifier;
    const create = await createOf(n);
    await ctx.sendActivity({ identifier: author }, roost, create);
    return { create: create.id.href, note };
  },

  // relayAnnounce has the relay actor announce a note to every subscriber, as a LitePub relay
  // passes a post on.
  async relayAnnounce({ note }) {
    if (subscribers.size === 0) throw new Error("no relay subscribers");
    const relay = ctx.getActorUri("relay");
    const id = new URL(`${ORIGIN}/relay/announces/${crypto.randomUUID()}`);
    for (const s of subscribers.values()) {
      await ctx.sendActivity({ identifier: "relay" }, s, new Announce({ id, actor: relay, object: new URL(note), tos: [PUBLIC_COLLECTION] }));
    }
    return { create: id.href };
  },

  // relayForward POSTs the Create of a published note (its actor the note's author) to every
  // subscriber's inbox signed by the relay actor, as a Mastodon-style relay forwards what it
  // receives. content, when given, replaces the note's content in the forwarded body only (a relay
  // lying about what the author wrote).
  async relayForward({ note, content }) {
    if (subscribers.size === 0) throw new Error("no relay subscribers");
    const n = [...notes.values()].find((x) => x.json.id === note);
    if (!n) throw new Error(`no note ${note}`);
    const object = { ...n.json };
    if (content) object.content = `<p>${content}</p>`;
    const activity = { ...object, "@context": object["@context"] };
    delete activity["@context"];
    const body = JSON.stringify({
      "@context": object["@context"],
      id: `${note}/activity`,
      type: "Create",
      actor: object.attributedTo,
      to: object.to,
      cc: object.cc,
      object: { ...activity },
    });
    const [{ privateKey, keyId }] = await ctx.getActorKeyPairs("relay");
    const statuses = [];
    for (const s of subscribers.values()) {
      const signed = await signRequest(
        new Request(s.inboxId, { method: "POST", headers: { "Content-Type": "application/activity+json" }, body }),
        privateKey,
        keyId,
        { spec: "draft-cavage-http-signatures-12" },
      );
      const headers = new Headers(signed.headers);
      headers.delete("content-length");
      const res = await fetch(signed.url, { method: "POST", headers, body });
      statuses.push(res.status);
      if (res.status >= 300) throw new Error(`forward to ${s.inboxId.href}: ${res.status} ${await res.text()}`);
    }
    return { create: `${note}/activity`, status: statuses[0] };
  },

  async like({ object }) {
    const id = new URL(`${ORIGIN}/likes/${crypto.randomUUID()}`);
    await ctx.sendActivity(
      { identifier: "alice" },
      roost,
      new Like({ id, actor: ctx.getActorUri("alice"), object: new URL(object), tos: [roost.id] }),
    );
    return { like: id.href };
  },

  // signed POSTs a Create(Note) to Roost's inbox, signed as alice with Fedify's signRequest
  // (draft-cavage, as Roost expects), and breaks it as kind says: "none" leaves it intact (the
  // control); "body" changes the body after signing, so the Digest no longer matches; "actor"
  // keeps a valid signature by alice on an activity whose actor is someone else.
  async signed({ kind }) {
    if (!["none", "body", "actor"].includes(kind)) throw new Error(`unknown kind ${kind}`);
    const uuid = crypto.randomUUID();
    const actor = kind === "actor" ? `${ORIGIN}/users/mallory` : ctx.getActorUri("alice").href;
    const activity = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${ORIGIN}/notes/${uuid}/activity`,
      type: "Create",
      actor,
      to: [PUBLIC_COLLECTION.href],
      cc: [roost.id.href],
      object: {
        id: `${ORIGIN}/notes/${uuid}`,
        type: "Note",
        attributedTo: actor,
        content: `<p>${kind === "actor" ? "I am not who I say" : "An honest note"} for @${roost.preferredUsername}</p>`,
        published: new Date().toISOString(),
        to: [PUBLIC_COLLECTION.href],
        cc: [roost.id.href],
        tag: [{ type: "Mention", href: roost.id.href, name: `@${roost.preferredUsername}@${roost.id.host}` }],
      },
    };
    const body = JSON.stringify(activity);
    const [{ privateKey, keyId }] = await ctx.getActorKeyPairs("alice");
    const signed = await signRequest(
      new Request(roost.inboxId, { method: "POST", headers: { "Content-Type": "application/activity+json" }, body }),
      privateKey,
      keyId,
      { spec: "draft-cavage-http-signatures-12" },
    );
    let sent = body;
    if (kind === "body") sent = body.replace("An honest note", "A forged note");
    if (kind === "body" && sent === body) throw new Error("tampering changed nothing");
    const headers = new Headers(signed.headers);
    headers.delete("content-length");
    const res = await fetch(signed.url, { method: "POST", headers, body: sent });
    return {
      status: res.status,
      answer: await res.text(),
      create: activity.id,
      note: activity.object.id,
      signature: headers.get("signature"),
    };
  },
};

await new Promise((resolve) => server.listen(PORT, "127.0.0.1", resolve));
ev("listening", { origin: ORIGIN, actor: ctx.getActorUri("alice").href });

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  if (!line.trim()) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    ev("failed", { error: `bad command ${line}: ${e}` });
    return;
  }
  try {
    const fn = commands[msg.cmd];
    if (!fn) throw new Error(`unknown command ${msg.cmd}`);
    ev("done", { seq: msg.seq, ...(await fn(msg)) });
  } catch (e) {
    ev("failed", { seq: msg.seq, error: String(e?.stack ?? e) });
  }
});
rl.on("close", () => {
  server.close();
  process.exit(0);
});
