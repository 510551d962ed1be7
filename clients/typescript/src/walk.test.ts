// The API walked through openapi-fetch, typed by the paths openapi-typescript generated from the served document
// (src/generated/api.d.ts, written at test time by scripts/clients.sh). A renamed path, field or parameter fails
// `tsc --strict`; a changed answer fails the walk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { paths } from "./generated/api.js";

const baseUrl = process.env.GATEWAY_E2E_URL;
const password = process.env.GATEWAY_TEST_PASSWORD || "test-password";

function message(index: number, attachment?: string): string {
  const head = [
    "From: Alice Example <alice@example.test>",
    "To: Bob <bob@example.test>",
    `Subject: TypeScript walk ${index}`,
    `Date: Sat, 01 Mar 2025 09:0${index}:00 +0000`,
    `Message-ID: <ts-walk-${index}-${randomUUID()}@example.test>`,
    "MIME-Version: 1.0",
  ];
  if (attachment === undefined) {
    return [...head, "Content-Type: text/plain; charset=utf-8", "", `Body of message ${index}.`, ""].join("\r\n");
  }
  return [
    ...head,
    'Content-Type: multipart/mixed; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `Body of message ${index}.`,
    "--b1",
    'Content-Type: text/csv; name="report.csv"',
    'Content-Disposition: attachment; filename="report.csv"',
    "Content-Transfer-Encoding: base64",
    "",
    Buffer.from(attachment, "utf8").toString("base64"),
    "--b1--",
    "",
  ].join("\r\n");
}

test("walk: log in, list, page, read, download, flag, move, delete, changes", async () => {
  assert.ok(baseUrl, "GATEWAY_E2E_URL is not set: run scripts/clients.sh");
  const client = createClient<paths>({ baseUrl });

  const username = `t-ts-${randomUUID().replaceAll("-", "")}@test`;
  const login = await client.POST("/api/v1/sessions", { body: { username, password } });
  assert.equal(login.response.status, 201, JSON.stringify(login.error));
  const token = login.data!.token;
  client.use({
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  });
  const me = { accountId: "me" };

  const account = await client.GET("/api/v1/accounts/{accountId}", { params: { path: me } });
  assert.equal(account.data?.accountId, login.data!.accountId);
  assert.equal(account.data?.username, username);

  const mailboxes = await client.GET("/api/v1/accounts/{accountId}/mailboxes", { params: { path: me } });
  const inbox = mailboxes.data!.items.find((m) => m.role === "inbox");
  assert.equal(inbox?.path, "INBOX");
  const created = await client.POST("/api/v1/accounts/{accountId}/mailboxes", {
    params: { path: me },
    body: { name: "TS Zielordner" },
  });
  assert.equal(created.response.status, 201);
  const target = created.data!;

  const csv = "name,amount\r\nalice,12\r\nbob,7\r\n";
  const appended: string[] = [];
  for (let i = 0; i < 5; i++) {
    const result = await client.POST("/api/v1/accounts/{accountId}/mailboxes/{mailboxId}/messages", {
      params: { path: { accountId: "me", mailboxId: "inbox" } },
      body: message(i, i === 4 ? csv : undefined),
      bodySerializer: (body) => body,
      headers: { "Content-Type": "message/rfc822" },
    });
    assert.equal(result.response.status, 201, JSON.stringify(result.error));
    assert.equal(result.data!.subject, `TypeScript walk ${i}`);
    appended.push(result.data!.id);
  }

  // Page through two at a time; newest first, nothing skipped or repeated.
  const seen: string[] = [];
  let pageToken: string | undefined;
  let state: string | undefined;
  let pages = 0;
  do {
    const page = await client.GET("/api/v1/accounts/{accountId}/mailboxes/{mailboxId}/messages", {
      params: { path: { accountId: "me", mailboxId: "inbox" }, query: { pageSize: 2, pageToken } },
    });
    assert.equal(page.response.status, 200);
    pages++;
    state ??= page.data!.state;
    seen.push(...page.data!.items.map((m) => m.id));
    pageToken = page.data!.nextPageToken ?? undefined;
  } while (pageToken !== undefined && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual(seen, [...appended].reverse());

  // Read the one with an attachment and download the attachment.
  const full = await client.GET("/api/v1/accounts/{accountId}/messages/{messageId}", {
    params: { path: { accountId: "me", messageId: appended[4]! } },
  });
  assert.equal(full.data!.subject, "TypeScript walk 4");
  assert.equal(full.data!.seen, false);
  assert.match(full.data!.text ?? "", /Body of message 4/);
  const attachment = full.data!.attachments[0]!;
  assert.equal(attachment.filename, "report.csv");
  const download = await client.GET("/api/v1/accounts/{accountId}/messages/{messageId}/attachments/{attachmentId}", {
    params: { path: { accountId: "me", messageId: appended[4]!, attachmentId: attachment.id } },
    parseAs: "text",
  });
  assert.equal(download.response.status, 200);
  assert.equal(download.data, csv);

  // Flag, move, delete.
  const flagged = await client.PATCH("/api/v1/accounts/{accountId}/messages/{messageId}", {
    params: { path: { accountId: "me", messageId: appended[1]! } },
    body: { flagged: true, addKeywords: ["typescript"] },
  });
  assert.equal(flagged.data!.flagged, true);
  assert.ok(flagged.data!.keywords.includes("typescript"));

  const moved = await client.POST("/api/v1/accounts/{accountId}/messages/{messageId}/move", {
    params: { path: { accountId: "me", messageId: appended[2]! } },
    body: { mailboxId: target.id },
  });
  assert.equal(moved.response.status, 200);
  assert.notEqual(moved.data!.id, appended[2]);
  const old = await client.GET("/api/v1/accounts/{accountId}/messages/{messageId}", {
    params: { path: { accountId: "me", messageId: appended[2]! } },
  });
  assert.equal(old.response.status, 404);
  assert.match(old.error?.type ?? "", /\/message-not-found$/);

  const deleted = await client.DELETE("/api/v1/accounts/{accountId}/messages/{messageId}", {
    params: { path: { accountId: "me", messageId: appended[3]! }, query: { permanent: true } },
  });
  assert.equal(deleted.response.status, 204);

  const changes = await client.GET("/api/v1/accounts/{accountId}/mailboxes/{mailboxId}/changes", {
    params: { path: { accountId: "me", mailboxId: "inbox" }, query: { since: state } },
  });
  assert.equal(changes.response.status, 200);
  assert.equal(changes.data!.oldState, state);
  assert.deepEqual(changes.data!.updated, [appended[1]]);
  assert.deepEqual([...changes.data!.destroyed].sort(), [appended[2], appended[3]].sort());
  assert.deepEqual(changes.data!.created, []);

  const logout = await client.DELETE("/api/v1/sessions/current");
  assert.equal(logout.response.status, 204);
  const after = await client.GET("/api/v1/accounts/{accountId}", { params: { path: me } });
  assert.equal(after.response.status, 401);
});
