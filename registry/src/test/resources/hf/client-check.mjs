// Drives Hugging Face's official JS client (@huggingface/hub) against the registry's /hf endpoint and prints,
// per revision, what the client saw: model info, the file listing and the sha256 of every downloaded file.
import { downloadFile, listFiles, modelInfo } from "@huggingface/hub";
import { createHash } from "node:crypto";

const { HUB_URL, TOKEN, REPO, REVISIONS } = process.env;
// The client only accepts tokens that start with "hf_"; its documented fetch parameter carries any other.
const authFetch = (url, init = {}) =>
  fetch(url, { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${TOKEN}` } });
const common = { hubUrl: HUB_URL, fetch: authFetch };

const out = {};
for (const revision of JSON.parse(REVISIONS)) {
  const info = await modelInfo({ name: REPO, revision, additionalFields: ["sha", "siblings"], ...common });
  const files = [];
  for await (const f of listFiles({ repo: REPO, revision, ...common })) {
    files.push(f);
  }
  const sha256 = {};
  for (const f of files) {
    const blob = await downloadFile({ repo: REPO, path: f.path, revision, ...common });
    sha256[f.path] = createHash("sha256").update(Buffer.from(await blob.arrayBuffer())).digest("hex");
  }
  const missing = await downloadFile({ repo: REPO, path: "no-such-file.bin", revision, ...common });
  out[revision] = {
    sha: info.sha,
    siblings: info.siblings.map((s) => s.rfilename),
    files: files.map((f) => ({ type: f.type, path: f.path, size: f.size, oid: f.oid, lfsOid: f.lfs?.oid })),
    sha256,
    missingIsNull: missing === null,
  };
}
console.log(JSON.stringify(out));
