// clients.mjs: drives Roost with the npm libraries real Mastodon apps are built on, masto 8.0.0
// (under Elk and Phanpy) and megalodon 10.3.0 (under Whalebird), for main_clients_test.go.
//
// It runs in two phases, so that the Go test can make a federated peer act in between:
//
//   PHASE=1  registers an app; signs in through Roost's real login form and consent page
//            (authorization code with PKCE S256, a local listener as the redirect URI); gets a
//            token with masto; verifies credentials; posts with a content warning and 25 more;
//            pages the home timeline; favourites, boosts, replies to and bookmarks the post; then
//            repeats a day's calls with megalodon; makes a poll; subscribes to Web Push at
//            PUSH_ENDPOINT. Its last event, "phase1", carries the token and the push keys.
//   PHASE=2  (TOKEN, CLIENT_ID, CLIENT_SECRET, POST_ID, PEER, POLL_ID, PUSHES, PUSH_KEY, PUSH_AUTH
//            set) finds the peer's follow and favourite among the notifications with both
//            libraries, and decrypts their pushes; receives an update event on
//            each streaming transport; reads the peer's poll (POLL_ID) and
//            votes in it; revokes the token and expects 401.
//
// Environment: URL (Roost's origin, https://127.0.0.1:PORT; its certificate comes in through
// NODE_EXTRA_CA_CERTS), PASSWORD (the owner's). It writes one JSON event per line to stdout
// ({"ev":"step","step":...}) and exits 1 after a {"ev":"failed","error":...} event.
import crypto from "node:crypto";
import http from "node:http";
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient, MastoHttpError } from "masto";
import generator, { detector } from "megalodon";

const URL_ = process.env.URL;
const PHASE = process.env.PHASE;
if (!URL_ || !PHASE) throw new Error("URL and PHASE are required");
const ORIGIN = new URL(URL_).origin;

const ev = (type, data = {}) => process.stdout.write(JSON.stringify({ ev: type, ...data }) + "\n");
const step = (name, data = {}) => ev("step", { step: name, ...data });

function check(ok, what, got) {
  if (!ok) throw new Error(`${what}${got === undefined ? "" : `; got ${JSON.stringify(got)}`}`);
}

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required in phase ${PHASE}`);
  return v;
}

// Status ids are 64-bit integers in strings; newest first means numerically descending.
const newerThan = (a, b) => BigInt(a) > BigInt(b);

const b64url = (buf) => Buffer.from(buf).toString("base64url");

// ---- a browser, as far as Roost's login form and consent page need one -------------------------

const cookies = new Map();

// browse fetches a page of Roost as a browser would: cookies kept, redirects not followed (the
// caller looks at each), Origin and Sec-Fetch-Site sent on POSTs as a same-origin form submits.
async function browse(path, { form } = {}) {
  const headers = { Accept: "text/html" };
  if (cookies.size) headers.Cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const init = { headers, redirect: "manual" };
  if (form) {
    init.method = "POST";
    init.body = new URLSearchParams(form).toString();
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    headers.Origin = ORIGIN;
    headers["Sec-Fetch-Site"] = "same-origin";
  }
  const res = await fetch(new URL(path, ORIGIN), init);
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(";");
    const i = pair.indexOf("=");
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    if (/;\s*max-age=(0|-)/i.test(c) || value === "") cookies.delete(name);
    else cookies.set(name, value);
  }
  return { status: res.status, location: res.headers.get("location"), html: await res.text() };
}

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (m, e) => {
    const named = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function attrs(tag) {
  const out = {};
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    out[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

// formFields returns the fields a browser would submit from the form posting to action: its
// inputs with their values, and the named submit button whose value is button.
function formFields(html, action, button) {
  const m = html.match(new RegExp(`<form\\b[^>]*action="${action}"[^>]*>([\\s\\S]*?)</form>`, "i"));
  check(m, `no form posting to ${action} in the page`, html.slice(0, 2000));
  const fields = {};
  for (const [tag] of m[1].matchAll(/<input\b[^>]*>/gi)) {
    const a = attrs(tag.slice(6, -1));
    if (a.name) fields[a.name] = a.value ?? "";
  }
  if (button) {
    const b = [...m[1].matchAll(/<button\b[^>]*>/gi)].map(([t]) => attrs(t.slice(7, -1))).find((a) => a.value === button);
    check(b?.name, `no submit button with value ${button} in the form`, m[1]);
    fields[b.name] = b.value;
  }
  return fields;
}

// ---- phase 1 ----------------------------------------------------------------------------------

async function phase1() {
  const password = env("PASSWORD");

  // The redirect URI: a listener that takes the code and state, as a native app's would.
  const callback = Promise.withResolvers();
  const listener = http.createServer((req, res) => {
    const u = new URL(req.url, "http://127.0.0.1");
    if (u.pathname !== "/callback") return res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "text/plain" }).end("You can close this window.");
    callback.resolve(u.searchParams);
  });
  await new Promise((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const redirectUri = `http://127.0.0.1:${listener.address().port}/callback`;
  const scope = "read write follow push";

  // 1. Register the app.
  const app = await createRestAPIClient({ url: URL_ }).v1.apps.create({
    clientName: "Roost contract test",
    redirectUris: redirectUri,
    scopes: scope,
    website: "https://example.com/contract",
  });
  check(app.clientId && app.clientSecret, "apps.create answered no client_id or client_secret", app);
  check(app.name === "Roost contract test", "apps.create: name", app.name);
  step("app", { clientId: app.clientId });

  // 2. Authorization code with PKCE S256, through Roost's own pages.
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash("sha256").update(verifier).digest());
  const state = b64url(crypto.randomBytes(16));
  const authorize =
    "/oauth/authorize?" +
    new URLSearchParams({
      client_id: app.clientId,
      response_type: "code",
      redirect_uri: redirectUri,
      scope,
      state,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });

  // Signed out, the consent page sends the browser to the login form, with the way back in next.
  let page = await browse(authorize);
  check(page.status === 303 && page.location?.startsWith("/login?"), "GET /oauth/authorize signed out: want 303 to /login", page.status + " " + page.location);
  page = await browse(page.location);
  check(page.status === 200, "GET /login", page.status);
  const login = formFields(page.html, "/login");
  check(login.next === authorize, "the login form's next field", login.next);
  login.password = password;
  page = await browse("/login", { form: login });
  check(page.status === 303 && page.location === authorize, "POST /login: want 303 back to the authorize URL", page.status + " " + page.location);
  check(cookies.size > 0, "POST /login set no session cookie");
  step("login", { cookies: [...cookies.keys()] });

  page = await browse(page.location);
  check(page.status === 200, "GET /oauth/authorize signed in", page.status + " " + page.html.slice(0, 500));
  check(page.html.includes("Roost contract test"), "the consent page does not name the app");
  for (const sc of scope.split(" ")) check(page.html.includes(`<code>${sc}</code>`), `the consent page does not list the scope ${sc}`);
  const consent = formFields(page.html, "/oauth/authorize", "approve");
  check(consent.csrf, "the consent form carries no csrf token", consent);
  check(consent.code_challenge === challenge && consent.code_challenge_method === "S256", "the consent form lost the PKCE challenge", consent);
  check(consent.state === state && consent.redirect_uri === redirectUri && consent.client_id === app.clientId, "the consent form's hidden fields", consent);
  page = await browse("/oauth/authorize", { form: consent });
  check(page.status === 302 && page.location?.startsWith(redirectUri + "?"), "POST /oauth/authorize: want 302 to the redirect URI", page.status + " " + page.location);
  await fetch(page.location); // the browser follows the redirect to the app's listener
  const params = await callback.promise;
  listener.close();
  const code = params.get("code");
  check(code && params.get("state") === state, "the callback: code and the same state", Object.fromEntries(params));
  step("authorize", { codeLength: code.length });

  const oauth = createOAuthAPIClient({ url: URL_ });
  const token = await oauth.token.create({
    grantType: "authorization_code",
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri,
    code,
    codeVerifier: verifier,
  });
  check(token.accessToken && token.tokenType === "Bearer", "token.create", token);
  check(token.scope === scope, "token.create: scope", token.scope);
  step("token", { scope: token.scope });
  // A code works once.
  const again = await oauth.token
    .create({ grantType: "authorization_code", clientId: app.clientId, clientSecret: app.clientSecret, redirectUri, code, codeVerifier: verifier })
    .then(() => null, (e) => e);
  check(again instanceof MastoHttpError && again.statusCode === 400, "token.create with a used code: want MastoHttpError 400", String(again));

  // 3. masto with the token.
  const masto = createRestAPIClient({ url: URL_, accessToken: token.accessToken });
  const me = await masto.v1.accounts.verifyCredentials();
  check(me.username === "me" && me.acct === "me" && me.source, "verifyCredentials", { username: me.username, acct: me.acct, source: me.source });
  const instance = await masto.v2.instance.fetch();
  check(instance.domain === new URL(URL_).host, "v2.instance.fetch: domain", instance.domain);
  step("verify_credentials", { id: me.id, acct: me.acct });

  const post = await masto.v1.statuses.create({ status: "cw post", spoilerText: "cw", visibility: "public" });
  check(post.spoilerText === "cw" && post.sensitive === true && post.visibility === "public", "statuses.create with a CW", {
    spoilerText: post.spoilerText,
    sensitive: post.sensitive,
    visibility: post.visibility,
  });
  check(post.content.includes("cw post") && post.account.id === me.id, "statuses.create: content and account", post.content);
  const created = [post.id];
  for (let i = 1; i <= 25; i++) {
    const s = await masto.v1.statuses.create({ status: `post ${i} of 25`, visibility: "public" });
    check(newerThan(s.id, created.at(-1)), `post ${i}: id ${s.id} not newer than ${created.at(-1)}`);
    created.push(s.id);
  }
  step("post", { id: post.id, uri: post.uri, more: created.length - 1 });

  // The paginator follows Link rel="next" until a page comes without it; ten pages would mean it
  // never stops.
  const seen = [];
  const sizes = [];
  for await (const page of masto.v1.timelines.home.list({ limit: 10 })) {
    sizes.push(page.length);
    seen.push(...page.map((s) => s.id));
    check(sizes.length < 10, "home timeline: the paginator did not stop", sizes);
  }
  check(new Set(seen).size === seen.length, "home timeline: an id came twice", seen);
  check(seen.every((id, i) => i === 0 || newerThan(seen[i - 1], id)), "home timeline: not newest first", seen);
  check(JSON.stringify(sizes.filter((n) => n > 0)) === "[10,10,6]", "home timeline: page sizes", sizes);
  check(JSON.stringify([...seen].sort()) === JSON.stringify([...created].sort()), "home timeline: not exactly the 26 posts", seen);
  step("home_pages", { sizes });

  const fav = await masto.v1.statuses.$select(post.id).favourite();
  check(fav.id === post.id && fav.favourited === true && fav.favouritesCount === 1, "favourite", { id: fav.id, favourited: fav.favourited, favouritesCount: fav.favouritesCount });
  const boost = await masto.v1.statuses.$select(post.id).reblog();
  check(boost.reblog?.id === post.id && boost.id !== post.id && boost.reblog.reblogged === true, "reblog: a new status wrapping the post", {
    id: boost.id,
    reblog: boost.reblog?.id,
    reblogged: boost.reblog?.reblogged,
  });
  const reply = await masto.v1.statuses.create({ status: "a reply", inReplyToId: post.id, visibility: "public" });
  check(reply.inReplyToId === post.id && reply.inReplyToAccountId === me.id, "reply: in_reply_to", { inReplyToId: reply.inReplyToId, inReplyToAccountId: reply.inReplyToAccountId });
  const bookmarked = await masto.v1.statuses.$select(post.id).bookmark();
  check(bookmarked.bookmarked === true, "bookmark", bookmarked.bookmarked);
  const again2 = await masto.v1.statuses.$select(post.id).fetch();
  check(again2.favourited && again2.reblogged && again2.bookmarked && again2.repliesCount === 1 && again2.reblogsCount === 1, "the post afterwards", {
    favourited: again2.favourited,
    reblogged: again2.reblogged,
    bookmarked: again2.bookmarked,
    repliesCount: again2.repliesCount,
    reblogsCount: again2.reblogsCount,
  });
  const thread = await masto.v1.statuses.$select(post.id).context.fetch();
  check(thread.descendants.some((s) => s.id === reply.id), "context: the reply is not a descendant", thread.descendants.map((s) => s.id));
  const top = await masto.v1.timelines.home.list({ limit: 2 });
  check(top[0]?.id === reply.id && top[1]?.reblog?.id === post.id, "home timeline: the reply, then the boost, on top", top.map((s) => [s.id, s.reblog?.id]));
  step("actions", { boost: boost.id, reply: reply.id });

  // 4. megalodon with the same token.
  const sns = await detector(URL_);
  check(sns === "mastodon", "megalodon detector", sns);
  const mega = generator("mastodon", URL_, token.accessToken);
  const inst = await mega.getInstance();
  check(inst.data.uri === new URL(URL_).host, "megalodon getInstance: uri", inst.data.uri);
  const cred = await mega.verifyAccountCredentials();
  check(cred.data.id === me.id, "megalodon verifyAccountCredentials", cred.data.id);
  const home = await mega.getHomeTimeline({ limit: 5 });
  check(home.data.length === 5 && home.data[0].id === reply.id, "megalodon getHomeTimeline", home.data.map((s) => s.id));
  const mpost = await mega.postStatus("posted with megalodon", { visibility: "unlisted", spoiler_text: "megalodon cw" });
  check(mpost.data.visibility === "unlisted" && mpost.data.spoiler_text === "megalodon cw", "megalodon postStatus", {
    visibility: mpost.data.visibility,
    spoiler_text: mpost.data.spoiler_text,
  });
  const mfav = await mega.favouriteStatus(mpost.data.id);
  check(mfav.data.favourited === true, "megalodon favouriteStatus", mfav.data.favourited);
  step("megalodon", { sns, post: mpost.data.id });

  // A poll of the owner's, which the Fedify peer votes in.
  const pollPost = await masto.v1.statuses.create({ status: "Tea or coffee?", poll: { options: ["Tea", "Coffee"], expiresIn: 3600 } });
  check(
    pollPost.poll?.id === pollPost.id && pollPost.poll.options.map((o) => o.title).join() === "Tea,Coffee" && !pollPost.poll.multiple,
    "statuses.create with a poll",
    pollPost.poll,
  );
  const tooMany = await masto.v1.statuses.create({ status: "?", poll: { options: ["a", "b", "c", "d", "e"], expiresIn: 3600 } }).then(() => null, (e) => e);
  check(tooMany instanceof MastoHttpError && tooMany.statusCode === 422, "a poll of five options: want MastoHttpError 422", String(tooMany));
  step("poll", { poll: pollPost.id });

  // Web Push: a subscription with keys made here, at the push service the test runs
  // (PUSH_ENDPOINT); the test hands what it receives to phase 2, which decrypts it.
  const pushKeys = crypto.createECDH("prime256v1");
  pushKeys.generateKeys();
  const pushAuth = crypto.randomBytes(16);
  const pushSub = await masto.v1.push.subscription.create({
    subscription: { endpoint: env("PUSH_ENDPOINT"), keys: { p256dh: b64url(pushKeys.getPublicKey()), auth: b64url(pushAuth) } },
    data: { alerts: { follow: true, favourite: true, mention: false } },
    policy: "all",
  });
  check(
    pushSub.endpoint === env("PUSH_ENDPOINT") && pushSub.alerts.follow === true && pushSub.alerts.mention === false &&
      pushSub.policy === "all" && Buffer.from(pushSub.serverKey, "base64url").length === 65,
    "push.subscription.create",
    pushSub,
  );
  const fetchedSub = await masto.v1.push.subscription.fetch();
  check(fetchedSub.id === pushSub.id && fetchedSub.endpoint === pushSub.endpoint, "push.subscription.fetch", fetchedSub);
  step("push_subscription", { id: pushSub.id });

  ev("phase1", {
    pushKey: b64url(pushKeys.getPrivateKey()),
    pushAuth: b64url(pushAuth),
    token: token.accessToken,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    meId: me.id,
    postId: post.id,
    postUri: post.uri,
    pollUri: pollPost.uri,
  });
}

// ---- phase 2 ----------------------------------------------------------------------------------

// decryptPush opens a push as the subscribed device does, written here from the drafts Mastodon
// follows (the aesgcm encoding, which a subscription that does not ask for the standard gets):
// the salt in Encryption, the sender's key in Crypto-Key's dh, a two-byte padding length.
function decryptPush(privateKey, auth, push) {
  check(push.encoding === "aesgcm", "push Content-Encoding", push.encoding);
  const keys = crypto.createECDH("prime256v1");
  keys.setPrivateKey(Buffer.from(privateKey, "base64url"));
  const ua = keys.getPublicKey();
  const sender = Buffer.from(/dh=([^;]+)/.exec(push.cryptoKey)[1], "base64url");
  const salt = Buffer.from(/salt=([^;]+)/.exec(push.encryption)[1], "base64url");
  const hkdf = (ikm, salt, info, n) => Buffer.from(crypto.hkdfSync("sha256", ikm, salt, info, n));
  const ikm = hkdf(keys.computeSecret(sender), Buffer.from(auth, "base64url"), Buffer.from("Content-Encoding: auth\0"), 32);
  const len = (b) => Buffer.from([b.length >> 8, b.length & 255]);
  const context = Buffer.concat([Buffer.from("P-256\0"), len(ua), ua, len(sender), sender]);
  const cek = hkdf(ikm, salt, Buffer.concat([Buffer.from("Content-Encoding: aesgcm\0"), context]), 16);
  const nonce = hkdf(ikm, salt, Buffer.concat([Buffer.from("Content-Encoding: nonce\0"), context]), 12);
  const body = Buffer.from(push.body, "base64");
  const decipher = crypto.createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(body.subarray(body.length - 16));
  const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  const text = plain.subarray(2 + plain.readUInt16BE(0)).toString("utf8");
  // notification_id is a number, as Mastodon sends it; Roost's ids pass 2^53, so it is read from
  // the text rather than from JSON.parse's float.
  return { ...JSON.parse(text), notification_id: /"notification_id":(\d+)/.exec(text)?.[1] };
}

// firstWithin resolves with the first value of an async iterator that matches, or rejects after ms.
async function firstWithin(iterator, match, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  const found = (async () => {
    for await (const v of iterator) if (match(v)) return v;
    throw new Error(`${what}: the stream ended`);
  })();
  try {
    return await Promise.race([found, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// expectUpdate posts through masto until the listener reports an update event carrying the post,
// for at most 10 s. A stream has no acknowledgement of a subscription, so a post made before the
// server subscribed is missed; posting again every 2 s covers that without a fixed sleep.
async function expectUpdate(masto, name, updates) {
  const deadline = Date.now() + 10_000;
  const posted = new Set();
  const seen = new Promise((resolve, reject) => {
    updates.onUpdate = (id) => posted.has(id) && resolve(id);
    updates.onError = reject;
  });
  while (Date.now() < deadline) {
    const s = await masto.v1.statuses.create({ status: `streamed to ${name} #${posted.size + 1}`, visibility: "public" });
    posted.add(s.id);
    if (updates.early?.has(s.id)) return s.id;
    const got = await Promise.race([seen, new Promise((r) => setTimeout(r, 2000, null))]);
    if (got) return got;
  }
  throw new Error(`${name}: no update event for any of ${[...posted]} within 10 s`);
}

// listen turns a stream of update ids into the onUpdate callbacks expectUpdate waits on.
function listen() {
  const l = { early: new Set(), onUpdate: null, onError: null };
  l.update = (id) => (l.onUpdate ? l.onUpdate(id) : l.early.add(id));
  l.error = (e) => l.onError?.(e);
  return l;
}

async function phase2() {
  const token = env("TOKEN");
  const clientId = env("CLIENT_ID");
  const clientSecret = env("CLIENT_SECRET");
  const postId = env("POST_ID");
  const peer = env("PEER");
  const masto = createRestAPIClient({ url: URL_, accessToken: token });
  const mega = generator("mastodon", URL_, token);

  // 5. The peer's follow and favourite, as notifications.
  const ns = await masto.v1.notifications.list({ limit: 30 });
  const follow = ns.find((n) => n.type === "follow" && n.account.uri === peer);
  const like = ns.find((n) => n.type === "favourite" && n.account.uri === peer && n.status?.id === postId);
  check(follow && like, "masto notifications.list: a follow and a favourite of the post by the peer", ns.map((n) => [n.type, n.account?.uri, n.status?.id]));
  check(follow.account.acct.includes("@"), "the peer's acct names its host", follow.account.acct);
  const favOnly = await masto.v1.notifications.list({ types: ["favourite"] });
  check(favOnly.length > 0 && favOnly.every((n) => n.type === "favourite"), "notifications.list({types: [favourite]})", favOnly.map((n) => n.type));
  const mns = await mega.getNotifications({ limit: 30 });
  check(
    mns.data.some((n) => n.type === "follow" && n.account.uri === peer) && mns.data.some((n) => n.type === "favourite" && n.status?.id === postId),
    "megalodon getNotifications: the follow and the favourite",
    mns.data.map((n) => [n.type, n.account?.uri]),
  );
  step("notifications", { follow: follow.id, favourite: like.id });

  // The pushes of those two notifications, as the push service received them (PUSHES).
  const pushes = JSON.parse(env("PUSHES")).map((p) => decryptPush(env("PUSH_KEY"), env("PUSH_AUTH"), p));
  const byType = Object.fromEntries(pushes.map((p) => [p.notification_type, p]));
  check(
    byType.follow?.title.endsWith("is now following you") && byType.favourite?.title.endsWith("favorited your post") &&
      byType.follow.notification_id === follow.id && pushes.every((p) => p.access_token === token),
    "the decrypted pushes",
    pushes,
  );
  step("push", { types: Object.keys(byType) });

  // 6. Streaming: masto over WebSocket (token as the subprotocol), megalodon over WebSocket (token
  // in the query, URL from the instance's urls.streaming_api), and Server-Sent Events.
  {
    const streamingApiUrl = URL_.replace(/^http/, "ws");
    const streaming = createStreamingAPIClient({ streamingApiUrl, accessToken: token, retry: 3 });
    const sub = streaming.user.subscribe();
    const ml = listen();
    (async () => {
      try {
        for await (const e of sub) if (e.event === "update") ml.update(e.payload.id);
      } catch (e) {
        ml.error(e);
      }
    })();
    const mastoGot = await expectUpdate(masto, "masto", ml);
    sub.unsubscribe();
    streaming.close();
    step("streaming_masto", { update: mastoGot });

    const ws = await mega.userStreaming();
    const wl = listen();
    ws.on("update", (s) => wl.update(s.id));
    ws.on("error", (e) => wl.error(e));
    const megaGot = await expectUpdate(masto, "megalodon", wl);
    ws.stop();
    step("streaming_megalodon", { update: megaGot });

    const abort = new AbortController();
    const res = await fetch(`${URL_}/api/v1/streaming/user`, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
    check(res.status === 200 && res.headers.get("content-type")?.startsWith("text/event-stream"), "GET /api/v1/streaming/user", `${res.status} ${res.headers.get("content-type")}`);
    const sl = listen();
    (async () => {
      let buf = "";
      try {
        for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) {
          buf += chunk;
          let i;
          while ((i = buf.search(/\r?\n\r?\n/)) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i).replace(/^\r?\n\r?\n/, "");
            const lines = block.split(/\r?\n/);
            const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim();
            const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
            if (event === "update") sl.update(JSON.parse(data).id);
          }
        }
      } catch (e) {
        if (!abort.signal.aborted) sl.error(e);
      }
    })();
    const sseGot = await expectUpdate(masto, "server-sent events", sl);
    abort.abort();
    step("streaming_sse", { update: sseGot });
  }

  // 6b. The peer's poll: read it and vote in it, with masto.
  const pollId = env("POLL_ID");
  const poll = await masto.v1.polls.$select(pollId).fetch();
  check(
    poll.id === pollId && !poll.expired && !poll.multiple && !poll.voted && poll.votesCount === 3 &&
      poll.options.map((o) => `${o.title}:${o.votesCount}`).join(",") === "Tea:2,Coffee:1",
    "masto polls.fetch: the peer's poll, open, Tea 2 and Coffee 1",
    poll,
  );
  const status = await masto.v1.statuses.$select(pollId).fetch();
  check(status.poll?.id === pollId, "masto statuses.fetch: the status carries its poll", status.poll);
  const voted = await masto.v1.polls.$select(pollId).votes.create({ choices: [1] });
  check(voted.voted && voted.ownVotes?.join() === "1" && voted.votesCount === 4, "masto polls.votes.create: voted for Coffee", voted);
  const again = await masto.v1.polls.$select(pollId).votes.create({ choices: [0] }).then(() => null, (e) => e);
  check(again instanceof MastoHttpError && again.statusCode === 422, "a second vote: want MastoHttpError 422", String(again));
  step("poll", { poll: pollId, ownVotes: voted.ownVotes });

  // 7. Revoke the token: every library's next call gets 401.
  await createOAuthAPIClient({ url: URL_ }).revoke({ clientId, clientSecret, token });
  const denied = await masto.v1.accounts.verifyCredentials().then(() => null, (e) => e);
  check(denied instanceof MastoHttpError && denied.statusCode === 401, "verifyCredentials after revoke: want MastoHttpError 401", String(denied));
  const mdenied = await mega.verifyAccountCredentials().then(() => null, (e) => e);
  check(mdenied?.response?.status === 401, "megalodon verifyAccountCredentials after revoke: want 401", mdenied?.response?.status ?? String(mdenied));
  step("revoke", { status: denied.statusCode, message: denied.message });
}

try {
  if (PHASE === "1") await phase1();
  else if (PHASE === "2") await phase2();
  else throw new Error(`unknown PHASE ${PHASE}`);
  ev("done", { phase: PHASE });
  process.exit(0);
} catch (e) {
  ev("failed", { error: String(e?.stack ?? e) });
  process.exit(1);
}
