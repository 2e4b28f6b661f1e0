// A small fediverse server built on Fedify, used by Hearth's interop tests.
// It runs on loopback with one Person actor, "alice", and a control API
// (loopback only) that the Go tests drive: look up and fetch documents,
// follow and unfollow, post, reply and edit, and list the activities it
// received (each verified by Fedify before it is recorded).
//
// Its inbox is as strict as GoToSocial's (internal/filter/spam/
// statusable.go): a Create from an account alice does not follow is
// dropped unless alice is mentioned (a Mention tag naming her). Dropped
// activities are listed too, with "kept": false and the reason, so a test
// can tell "not delivered" from "delivered and dropped".
//
//   node peer.mjs --port 0   → prints "READY <port>" when listening
import http from "node:http";
import { createFederation, MemoryKvStore, generateCryptoKeyPair } from "@fedify/fedify";
import { Accept, Announce, Create, Delete, Endpoints, Follow, Note, Person, Undo, Update, PUBLIC_COLLECTION } from "@fedify/fedify/vocab";

const portArg = process.argv.indexOf("--port");
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

const received = [];
const errors = [];
// The actors alice follows: those that accepted her Follow (GoToSocial
// counts only accepted follows).
const following = new Set();
const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
let counter = 0;
let origin = "";

const federation = createFederation({
  kv: new MemoryKvStore(),
  // Hearth runs on 127.0.0.1 in the tests.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "alice") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice Fedify",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((p) => p.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "alice" ? [keys] : []));

async function record(ctx, activity, dropped) {
  const json = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
  received.push({ type: json.type ?? activity.constructor.name, id: activity.id?.href, actor: activity.actorId?.href, json,
    kept: dropped == null, reason: dropped ?? "" });
}

const asArray = (v) => (v == null ? [] : Array.isArray(v) ? v : [v]);

// mentions reports whether an object's tags mention alice (by her id or
// her profile URL, as GoToSocial's isMentioned does).
function mentions(ctx, object) {
  const alice = ctx.getActorUri("alice").href;
  return asArray(object?.tag).some((t) => t?.type === "Mention" && t.href === alice);
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    const follower = await follow.getActor(ctx);
    if (follower == null) return;
    await ctx.sendActivity({ identifier: "alice" }, follower,
      new Accept({ id: new URL(`${origin}/accepts/${++counter}`), actor: ctx.getActorUri("alice"), object: follow }));
  })
  .on(Accept, async (ctx, accept) => {
    if (accept.actorId != null) following.add(accept.actorId.href);
    await record(ctx, accept);
  })
  .on(Create, async (ctx, create) => {
    const json = await create.toJsonLd({ contextLoader: ctx.contextLoader });
    const object = typeof json.object === "object" ? json.object : null;
    if (!following.has(create.actorId?.href) && !mentions(ctx, object)) {
      return record(ctx, create, "receiver does not follow requester, and is not mentioned");
    }
    await record(ctx, create);
  })
  .on(Announce, record)
  .on(Update, record)
  .on(Delete, record)
  .on(Undo, record)
  .onError((_ctx, error) => { errors.push(String(error?.stack ?? error)); });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function json(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

async function control(req, res, url) {
  if (!["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(req.socket.remoteAddress)) return json(res, 403, {});
  const ctx = federation.createContext(new URL(origin), undefined);
  const input = req.method === "POST" ? JSON.parse((await readBody(req)).toString() || "{}") : {};
  try {
    switch (url.pathname) {
      case "/control/received":
        return json(res, 200, { received, errors });
      case "/control/lookup": {
        // WebFinger over plain http (Hearth runs on loopback in tests), then
        // Fedify's signed lookup of the actor it names.
        const [user, host] = input.handle.replace(/^@/, "").split("@");
        const wf = await fetch(`http://${host}/.well-known/webfinger?resource=acct:${user}@${host}`,
          { headers: { accept: "application/jrd+json" } });
        const jrd = await wf.json();
        const self = jrd.links.find((l) => l.rel === "self");
        const actor = await ctx.lookupObject(self.href, { documentLoader: await ctx.getDocumentLoader({ identifier: "alice" }) });
        return json(res, 200, { subject: jrd.subject, href: self.href, type: actor?.constructor?.name, id: actor?.id?.href,
          preferredUsername: actor?.preferredUsername?.toString(), hasKey: (await actor?.getPublicKey()) != null });
      }
      case "/control/fetch": {
        const loader = await ctx.getDocumentLoader({ identifier: "alice" });
        const doc = await loader(input.iri);
        const obj = await ctx.lookupObject(input.iri, { documentLoader: loader });
        return json(res, 200, { document: doc.document, type: obj?.constructor?.name });
      }
      case "/control/follow": {
        // input.id sends a Follow already sent again, with its id.
        const target = await ctx.lookupObject(input.actor);
        const id = new URL(input.id ?? `${origin}/follows/${++counter}`);
        await ctx.sendActivity({ identifier: "alice" }, target, new Follow({ id, actor: ctx.getActorUri("alice"), object: target.id }));
        return json(res, 200, { id: id.href });
      }
      case "/control/unfollow": {
        const target = await ctx.lookupObject(input.actor);
        await ctx.sendActivity({ identifier: "alice" }, target, new Undo({
          id: new URL(`${origin}/undos/${++counter}`), actor: ctx.getActorUri("alice"),
          object: new Follow({ id: new URL(input.followId), actor: ctx.getActorUri("alice"), object: target.id }),
        }));
        following.delete(target.id.href);
        return json(res, 200, {});
      }
      case "/control/post": {
        // A public post of alice's, delivered to input.actor (who follows her).
        const target = await ctx.lookupObject(input.actor);
        const noteId = new URL(`${origin}/notes/${++counter}`);
        const note = new Note({ id: noteId, attributedTo: ctx.getActorUri("alice"), to: PUBLIC_COLLECTION, content: input.content });
        await ctx.sendActivity({ identifier: "alice" }, target, new Create({ id: new URL(`${noteId.href}/create`),
          actor: ctx.getActorUri("alice"), object: note, to: PUBLIC_COLLECTION }));
        return json(res, 200, { id: noteId.href });
      }
      case "/control/edit": {
        // An edit of alice's reply input.noteId, as GoToSocial sends one: the
        // Update's id is input.activityId (GoToSocial reuses one for every
        // edit), the Note has `updated` input.updated.
        const target = await ctx.lookupObject(input.actor);
        const note = { id: input.noteId, type: "Note", attributedTo: ctx.getActorUri("alice").href, to: PUBLIC_COLLECTION.href,
          cc: target.id.href, inReplyTo: input.inReplyTo, content: input.content, updated: input.updated };
        const update = await Update.fromJsonLd({ "@context": "https://www.w3.org/ns/activitystreams", id: input.activityId, type: "Update",
          actor: ctx.getActorUri("alice").href, object: note, to: PUBLIC_COLLECTION.href, cc: target.id.href });
        await ctx.sendActivity({ identifier: "alice" }, target, update);
        return json(res, 200, {});
      }
      case "/control/vote": {
        // A vote on a poll, as Mastodon sends one: a Note with the option as
        // its name, no content, in reply to the Question, to its author.
        const target = await ctx.lookupObject(input.actor);
        const noteId = new URL(`${origin}/votes/${++counter}`);
        const note = await Note.fromJsonLd({ "@context": "https://www.w3.org/ns/activitystreams", id: noteId.href, type: "Note",
          attributedTo: ctx.getActorUri("alice").href, to: target.id.href, name: input.name, inReplyTo: input.inReplyTo });
        await ctx.sendActivity({ identifier: "alice" }, target, new Create({ id: new URL(`${noteId.href}/create`),
          actor: ctx.getActorUri("alice"), object: note, to: target.id }));
        return json(res, 200, { id: noteId.href });
      }
      case "/control/reply": {
        // input.published, when given, dates the reply (RFC 3339).
        const target = await ctx.lookupObject(input.actor);
        const noteId = new URL(`${origin}/notes/${++counter}`);
        const note = await Note.fromJsonLd({ "@context": "https://www.w3.org/ns/activitystreams", id: noteId.href, type: "Note",
          attributedTo: ctx.getActorUri("alice").href, to: PUBLIC_COLLECTION.href, cc: target.id.href, inReplyTo: input.inReplyTo,
          content: input.content, ...(input.published ? { published: input.published } : {}) });
        await ctx.sendActivity({ identifier: "alice" }, target, new Create({ id: new URL(`${noteId.href}/create`),
          actor: ctx.getActorUri("alice"), object: note, to: PUBLIC_COLLECTION, cc: target.id }));
        return json(res, 200, { id: noteId.href });
      }
    }
    return json(res, 404, {});
  } catch (e) {
    return json(res, 500, { error: String(e?.stack ?? e) });
  }
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, origin);
  if (url.pathname.startsWith("/control/")) return control(req, res, url);
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  const response = await federation.fetch(new Request(url, { method: req.method, headers, body }), {
    contextData: undefined,
    onNotFound: () => new Response("not found", { status: 404 }),
    onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
  });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});

server.listen(port, "127.0.0.1", () => {
  origin = `http://127.0.0.1:${server.address().port}`;
  console.log(`READY ${server.address().port}`);
});
