"""mastodon_py.py: drives Roost with Mastodon.py (Debian's python3-mastodon, 1.8) as a bot or
script would, for server/contract_python_test.go.

It writes one JSON event per line to stdout: {"ev":"step","step":...} after each step,
{"ev":"need","what":...} when the Go test must act (approve the app on the consent page, move
the clock, restart the server, make a peer post), after which it reads one JSON line of answer
from stdin; {"ev":"done"} at the end, or {"ev":"failed","error":...} and exit 1.

Environment: URL (Roost's origin, http://127.0.0.1:PORT), PEER (the handle of a remote account
the owner follows, user@host).
"""

import base64
import datetime
import http.server
import io
import json
import os
import struct
import sys
import threading
import time
import traceback
import zlib

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from mastodon import Mastodon, StreamListener
from mastodon.compat import IMPL_HAS_ECE

BASE = os.environ["URL"]
PEER = os.environ["PEER"]
offset = 0.0  # how far the test moved Roost's clock ahead of ours, in seconds


def out(ev, **kw):
    print(json.dumps({"ev": ev, **kw}), flush=True)


def step(name):
    out("step", step=name)


def need(what, **kw):
    out("need", what=what, **kw)
    line = sys.stdin.readline()
    if not line:
        raise RuntimeError(f"no answer to {what}")
    return json.loads(line)


def check(ok, what, got=None):
    if not ok:
        raise AssertionError(f"{what}; got {got!r}")


def wait_for(what, cond, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def roost_now():
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)


def png(w=16, h=16):
    """A small opaque PNG, made here so the script needs no image library."""
    raw = b"".join(b"\x00" + bytes([200, 80, 40]) * w for _ in range(h))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def hkdf(secret, salt, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def decrypt_push(headers, body, key, auth_secret):
    """Opens a push as the subscribed user agent does, in either encoding Mastodon sends: RFC 8291
    (aes128gcm, to subscriptions that asked for the standard) or the aesgcm draft (the default,
    what Mastodon.py's own push_subscription_decrypt_push reads). Written here with
    python3-cryptography, since Debian has no http_ece for Mastodon.py's helper."""
    ua = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    encoding = headers.get("Content-Encoding")
    if encoding == "aes128gcm":
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        keyid, record = body[21:21 + idlen], body[21 + idlen:]
        check(len(record) <= rs, "one record", (len(record), rs))
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), keyid)
        ikm = hkdf(key.exchange(ec.ECDH(), sender), auth_secret, b"WebPush: info\x00" + ua + keyid, 32)
        cek = hkdf(ikm, salt, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = hkdf(ikm, salt, b"Content-Encoding: nonce\x00", 12)
        plain = AESGCM(cek).decrypt(nonce, record, None).rstrip(b"\x00")
        check(plain.endswith(b"\x02"), "the last record's delimiter", plain[-8:])
        return plain[:-1]
    check(encoding == "aesgcm", "push Content-Encoding", encoding)
    salt = b64d(headers["Encryption"].split("salt=")[1].split(";")[0])
    keyid = b64d(headers["Crypto-Key"].split("dh=")[1].split(";")[0])
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), keyid)
    ikm = hkdf(key.exchange(ec.ECDH(), sender), auth_secret, b"Content-Encoding: auth\x00", 32)
    context = b"P-256\x00" + len(ua).to_bytes(2, "big") + ua + len(keyid).to_bytes(2, "big") + keyid
    cek = hkdf(ikm, salt, b"Content-Encoding: aesgcm\x00" + context, 16)
    nonce = hkdf(ikm, salt, b"Content-Encoding: nonce\x00" + context, 12)
    plain = AESGCM(cek).decrypt(nonce, body, None)
    pad = int.from_bytes(plain[:2], "big")
    check(plain[2:2 + pad] == b"\x00" * pad, "zero padding")
    return plain[2 + pad:]


def b64d(s):
    s = s.strip()
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class PushService(http.server.BaseHTTPRequestHandler):
    """The push service the subscription names: it keeps what Roost POSTs."""
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        PushService.received.append((dict(self.headers), body))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


def my_statuses(m, me, text):
    return [s for s in m.account_statuses(me.id, limit=40) if text in s.content]


def daily_calls(m, me, peer):
    """Mastodon.py's everyday calls, each checked for what a bot relies on."""
    # Posting: a poll (multiple, as the 1 Mastodon.py sends), a reply, an edit and its history.
    poll = m.make_poll(["tea", "coffee"], expires_in=3600, multiple=True)
    st = m.status_post("tea or coffee? #roostpoll", poll=poll, language="en", visibility="unlisted")
    check(st.poll.multiple is True and st.visibility == "unlisted" and st.language == "en", "a multiple-choice poll", st.poll)
    check(m.poll(st.poll.id).id == st.poll.id, "poll")
    reply = m.status_reply(st, "replying to myself")
    check(reply.in_reply_to_id == st.id, "status_reply", reply)
    check([s.id for s in m.status_context(st).descendants] == [reply.id], "status_context", m.status_context(st))
    edited = m.status_update(reply.id, "replying to myself, edited")
    check("edited" in edited.content and edited.edited_at is not None, "status_update", edited)
    check(len(m.status_history(reply.id)) == 2, "status_history", m.status_history(reply.id))
    check(m.status_source(reply.id).text == "replying to myself, edited", "status_source", m.status_source(reply.id))

    # Interactions and the lists they fill.
    m.status_favourite(st)
    m.status_bookmark(st)
    m.status_reblog(st)
    check([a.id for a in m.status_favourited_by(st)] == [me.id], "status_favourited_by")
    check([a.id for a in m.status_reblogged_by(st)] == [me.id], "status_reblogged_by")
    check(st.id in [s.id for s in m.favourites()], "favourites")
    check(st.id in [s.id for s in m.bookmarks()], "bookmarks")
    m.status_pin(st)
    check(st.id in [s.id for s in m.account_statuses(me, pinned=True)], "account_statuses(pinned=True)")
    m.status_unpin(st)
    m.status_mute(st)
    check(m.status(st).muted is True, "status_mute")
    m.status_unmute(st)
    m.status_unreblog(st)
    m.status_unbookmark(st)
    m.status_unfavourite(st)
    # (Unlisted posts stay out of hashtag timelines, as on Mastodon; the public picture is in its.)
    check(st.id not in [s.id for s in m.timeline_hashtag("roostpoll")], "an unlisted post in timeline_hashtag")
    check(any("roostpics" in s.content for s in m.timeline_hashtag("roostpics")), "timeline_hashtag")
    media_only = m.account_statuses(me, only_media=True, limit=3)
    check(media_only and all(s.media_attachments for s in media_only), "account_statuses(only_media=True)", media_only)
    # exclude_replies keeps an author's replies to their own posts (threads), as Mastodon's
    # Status.without_replies does.
    check(all(s.in_reply_to_id is None or s.in_reply_to_account_id == me.id
              for s in m.account_statuses(me, exclude_replies=True)), "exclude_replies")
    check(m.timeline_local() is not None and m.timeline_public() is not None, "local and public timelines")

    # Accounts.
    check(m.account_lookup(PEER).id == peer.id, "account_lookup")
    rel = m.account_relationships(peer)[0]
    check(rel.following is True, "account_relationships", rel)
    m.account_note_set(peer, "met at a conference")
    check(m.account_relationships(peer)[0].note == "met at a conference", "account_note_set")
    m.account_mute(peer)
    check(peer.id in [a.id for a in m.mutes()], "mutes")
    m.account_unmute(peer)
    check(m.account_followers(me) is not None and peer.id in [a.id for a in m.account_following(me)], "account_following")
    check([l.title for l in m.account_lists(peer)] == ["friends"], "account_lists")
    m.account_update_credentials(note="a bot's owner", fields=[("home", "https://example.org/")])
    check("a bot" in m.me().note, "account_update_credentials", m.me().note)

    # The instance and the rest apps read at start.
    check(m.instance().uri is not None and m.instance_rules() is not None, "instance")
    check(m.preferences()["posting:default:visibility"] in ("public", "unlisted", "private", "direct"), "preferences")
    m.markers_set(["home"], [st.id])
    check(m.markers_get(["home"]).home.last_read_id == st.id, "markers", m.markers_get(["home"]))
    for name, call in [("custom_emojis", m.custom_emojis), ("announcements", m.announcements), ("filters", m.filters),
                       ("blocks", m.blocks), ("domain_blocks", m.domain_blocks), ("follow_requests", m.follow_requests),
                       ("conversations", m.conversations), ("endorsements", m.endorsements), ("featured_tags", m.featured_tags),
                       ("suggestions", m.suggestions), ("trending_tags", m.trending_tags), ("directory", m.directory)]:
        check(isinstance(call(), list), name, call())
    m.status_delete(reply)

    # A report of the peer, forwarded to its server.
    rep = m.report(peer, comment="testing reports", forward=True, category="other")
    check(rep.forwarded is True and rep.target_account.id == peer.id, "report", rep)

    # Filters, v1 as Mastodon.py 1.8 knows them, and applied to a timeline.
    f = m.filter_create("spoiler", ["home", "public"], whole_word=True)
    check(f.phrase == "spoiler" and f.context == ["home", "public"], "filter_create", f)
    check([x.id for x in m.filters()] == [f.id] and m.filter(f).phrase == "spoiler", "filters", m.filters())
    f = m.filter_update(f, phrase="spoilers", irreversible=True)
    check(f.phrase == "spoilers" and f.irreversible is True, "filter_update", f)
    kept = m.filters_apply([{"content": "no spoilers here"}, {"content": "nothing to see"}], m.filters(), "home")
    check(len(kept) == 1, "filters_apply", kept)
    m.filter_delete(f)
    check(m.filters() == [], "filter_delete", m.filters())

    # Paging by the Link header, as Mastodon.py's fetch_next follows it.
    for i in range(3):
        m.status_post(f"page filler {i}", visibility="private")
    first = m.timeline_home(limit=2)
    second = m.fetch_next(first)
    check(len(first) == 2 and second and second[0].id < first[-1].id, "fetch_next", (first, second))
    everything = [s.id for s in m.account_statuses(me, limit=40)]
    paged = [s.id for s in m.fetch_remaining(m.account_statuses(me, limit=2))]
    check(len(everything) >= 7 and paged == everything, "fetch_remaining pages through all", (paged, everything))

    # A direct post (the peer's handle has a port, which a mention cannot carry, so it mentions
    # no one: Mastodon accepts that too), and the conversations list.
    dm = m.status_post("a note to self", visibility="direct")
    check(dm.visibility == "direct", "a direct post", dm)
    check(isinstance(m.conversations(), list), "conversations")

    # Uploads: describe and refocus; notifications: filter, dismiss, clear.
    media = m.media_post(io.BytesIO(png()), mime_type="image/png", file_name="b.png")
    updated = m.media_update(media, description="described later", focus=(0.5, -0.5))
    check(updated.description == "described later" and updated.meta.focus.x == 0.5, "media_update", updated)
    check(m.media(media).description == "described later", "media", m.media(media))
    notes = m.notifications(exclude_types=["follow", "favourite", "reblog"])
    check(notes and all(n.type == "mention" for n in notes), "notifications(exclude_types=...)", notes)
    m.notifications_dismiss(notes[0])
    m.notifications_clear()
    check(m.notifications() == [], "notifications_clear", m.notifications())


def main():
    global offset

    # Sign-in: app registration, the consent page (approved by the test as the owner's browser),
    # the code exchanged for a token.
    client_id, client_secret = Mastodon.create_app("Mastodon.py contract", api_base_url=BASE)
    m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=BASE)
    code = need("consent", url=m.auth_request_url())["code"]
    m.log_in(code=code)
    me = m.account_verify_credentials()
    check(me.username == "me", "verify_credentials username", me.username)
    auth = {"Authorization": "Bearer " + m.access_token}
    step("sign-in")

    # A scheduled post: listed as scheduled, nowhere else until its time, then published once.
    text = "scheduled for later"
    sch = m.status_post(text, scheduled_at=roost_now() + datetime.timedelta(minutes=10))
    check("scheduled_at" in sch and sch.params.text == text, "status_post(scheduled_at=...) answers a ScheduledStatus", sch)
    check([s.id for s in m.scheduled_statuses()] == [sch.id], "scheduled_statuses", m.scheduled_statuses())
    check(not my_statuses(m, me, text), "a scheduled post is not published before its time")
    check(not [s for s in m.timeline_home() if text in s.content], "a scheduled post is not in home before its time")
    need("advance", seconds=11 * 60)
    offset += 11 * 60
    wait_for("the scheduled post to be published", lambda: my_statuses(m, me, text))
    time.sleep(0.5)
    check(len(my_statuses(m, me, text)) == 1, "the scheduled post is published once", my_statuses(m, me, text))
    check(m.scheduled_statuses() == [], "no scheduled post left", m.scheduled_statuses())
    step("scheduled post")

    text = "scheduled across a restart"
    sch = m.status_post(text, scheduled_at=roost_now() + datetime.timedelta(minutes=10))
    need("restart", seconds=11 * 60)
    offset += 11 * 60
    wait_for("the scheduled post to be published after the restart", lambda: my_statuses(m, me, text))
    time.sleep(0.5)
    check(len(my_statuses(m, me, text)) == 1, "published once after the restart", my_statuses(m, me, text))
    step("scheduled post across a restart")

    # A sensitive image: Mastodon.py sends sensitive=1.
    media = m.media_post(io.BytesIO(png()), mime_type="image/png", file_name="pixel.png", description="a square")
    st = m.status_post("a sensitive picture #roostpics", media_ids=[media], sensitive=True)
    check(st.sensitive is True and len(st.media_attachments) == 1, "sensitive=1 with media", st)
    check(m.status(st.id).sensitive is True, "the stored post is sensitive")
    step("sensitive media")

    # Push: a subscription with Mastodon.py's keys at a local push service; a mention arrives
    # encrypted, and only the subscription's private key opens it.
    srv = http.server.HTTPServer(("127.0.0.1", 0), PushService)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{srv.server_port}/push/mastodon-py"
    priv, pub = m.push_subscription_generate_keys()
    sub = m.push_subscription_set(endpoint, pub, mention_events=True, follow_events=False, favourite_events=False)
    vapid = requests.get(BASE + "/api/v2/instance").json()["configuration"]["vapid"]["public_key"]
    check(sub.endpoint == endpoint and sub.alerts.mention is True and sub.alerts.follow is False
          and sub.server_key == vapid, "push_subscription_set", sub)
    check(m.push_subscription().endpoint == endpoint, "push_subscription", m.push_subscription())
    step("push subscription")

    # The user stream (server-sent events, at the instance's streaming URL) is open meanwhile.
    class Listener(StreamListener):
        got = []

        def on_notification(self, notification):
            Listener.got.append(notification)

    stream = m.stream_user(Listener(), run_async=True)
    wait_for("the stream to open", stream.is_receiving)

    need("mention", text="hello @me, a mention from Dave")
    headers, body = wait_for("the push", lambda: PushService.received and PushService.received[0])
    # Mastodon.py asks for no standard, so the push comes as Mastodon sends it by default: the
    # aesgcm draft, with the VAPID key in Crypto-Key where push_subscription_decrypt_push reads it.
    check(headers.get("Content-Encoding") == "aesgcm" and headers.get("Authorization", "").startswith("WebPush ")
          and ("p256ecdsa=" + vapid) in headers.get("Crypto-Key", ""), "push headers", headers)
    key = ec.derive_private_key(priv["privkey"], ec.SECP256R1())
    payload = json.loads(decrypt_push(headers, body, key, priv["auth"]))
    if IMPL_HAS_ECE:  # where http_ece is installed, Mastodon.py's own decryption agrees
        mine = m.push_subscription_decrypt_push(body, priv, headers["Encryption"], headers["Crypto-Key"])
        check(mine.title == payload["title"], "push_subscription_decrypt_push", mine)
    check(payload["title"] == "You were mentioned by Dave" and "a mention from Dave" in payload["body"]
          and payload["notification_type"] == "mention" and payload["access_token"] == m.access_token,
          "decrypted push payload", payload)
    step("push delivered and decrypted")
    got = wait_for("the mention on the user stream", lambda: Listener.got)
    check(got[0].type == "mention" and "a mention from Dave" in got[0].status.content, "stream_user notification", got[0])
    # (No stream.close(): it waits for the next heartbeat, 15 s, as against Mastodon; the thread is a daemon.)
    step("user stream")

    updated = m.push_subscription_update(mention_events=False, follow_events=True)
    check(updated.alerts.mention is False and updated.alerts.follow is True, "push_subscription_update", updated)
    m.push_subscription_delete()
    r = requests.get(BASE + "/api/v1/push/subscription", headers=auth)
    check(r.status_code == 404, "no subscription after push_subscription_delete", r.status_code)
    step("push subscription update and delete")

    # Notifications, v1 through the library and grouped (v2) as the web clients call them.
    notes = wait_for("the mention", lambda: m.notifications(types=["mention"]))
    check(notes[0].type == "mention" and notes[0].account.acct.startswith("dave@"), "notifications", notes)
    groups = requests.get(BASE + "/api/v2/notifications", headers=auth).json()
    check(any(g["type"] == "mention" and g.get("group_key") for g in groups["notification_groups"]),
          "grouped notifications", groups)
    r = requests.get(BASE + "/api/v1/notifications/unread_count", headers=auth)
    check(r.status_code == 200 and "count" in r.json(), "unread_count", r.text)
    step("notifications")

    # Search by name, by a word, by hashtag.
    res = m.search_v2("Dave")
    check(any(a.acct.startswith("dave@") for a in res.accounts), "search_v2 by display name", res.accounts)
    res = m.search_v2("sensitive")
    check(any("a sensitive picture" in s.content for s in res.statuses), "search_v2 by a word", res.statuses)
    res = m.search_v2("#roostpics")
    check(any(h.name == "roostpics" for h in res.hashtags), "search_v2 by hashtag", res.hashtags)
    check(any(a.acct.startswith("dave@") for a in m.account_search("dav")), "account_search by prefix")
    step("search")

    # A list with the followed peer in it, and its timeline.
    member = [a for a in m.account_search(PEER) if a.acct == PEER]
    check(member, "account_search finds the followed peer", PEER)
    lst = m.list_create("friends")
    m.list_accounts_add(lst, [member[0]])
    check([a.acct for a in m.list_accounts(lst)] == [PEER], "list_accounts", m.list_accounts(lst))
    need("member_post", text="a post for my list")
    wait_for("the member's post in the list timeline",
             lambda: [s for s in m.timeline_list(lst) if "a post for my list" in s.content])
    check([l.title for l in m.lists()] == ["friends"], "lists", m.lists())
    step("list and its timeline")

    # A day of a bot's and a script's other calls: each must answer as Mastodon's would.
    daily_calls(m, me, member[0])
    step("daily calls")

    # A followed tag (Mastodon.py 1.8 has no call for it: plain requests, as newer versions do).
    r = requests.post(BASE + "/api/v1/tags/roostfollowed/follow", headers=auth)
    check(r.status_code == 200 and r.json().get("following") is True, "follow a tag", r.text)
    followed = requests.get(BASE + "/api/v1/followed_tags", headers=auth).json()
    check(any(t["name"] == "roostfollowed" for t in followed), "followed_tags", followed)
    need("tag_post", text="posted with #roostfollowed")
    wait_for("the followed tag's post in home", lambda: [s for s in m.timeline_home() if "roostfollowed" in s.content])
    step("followed tag")

    out("done")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure is reported to the test
        traceback.print_exc(file=sys.stderr)
        out("failed", error=f"{type(e).__name__}: {e}")
        sys.exit(1)
